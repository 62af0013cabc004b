// The lint engine: a set of files → parsed files (cached by text) → workspace model →
// every enabled rule → findings with ranges, after severities and suppression comments.
// Pure: no LSP, no file system, no printing. Callers (lsp/, cli/) feed it text.
import { DEFAULT_CONFIG, type Config } from '../analysis/config.js';
import { archivedFolderFiles, buildModel, historyInArchives, markArchiveReplayed, markNotApplied, NOT_APPLIED, recordFromStart, resumePointOf, extensionVersionScripts, rollbackTwins, sameItems, type Model, type ResumePoint } from '../analysis/model.js';
import { createsReferencingLater } from '../analysis/columns.js';
import { replayedCallSpans } from '../analysis/dynamic-rls.js';
import { databasesOf, orderRanks, relationRefs, type Database } from '../analysis/databases.js';
import { configWithApi, type ApiSchemas } from '../analysis/supabase-config.js';
import { mirroredHistories } from '../analysis/snapshot.js';
import { unplannedScripts, type SqitchPlan } from '../analysis/sqitch-plan.js';
import { unlistedFiles, type DrizzleJournal } from '../analysis/drizzle-journal.js';
import { unrunGraphileFiles, type GraphileMigrate } from '../analysis/graphile-migrate.js';
import { isLiquibaseFormatted, unrunFiles, type LiquibaseChangelog } from '../analysis/liquibase-changelog.js';
import type { InitdbScripts } from '../analysis/docker-initdb.js';
import { asWritten, doBlockAround, initParser, lex, parseFile, type LiquibaseSplit } from '../analysis/parse.js';
import { decodedId } from '../analysis/file-id.js';
import { inlinePositions, inlineText, type InlineSql } from '../analysis/liquibase-inline.js';

import picomatch from 'picomatch';
import type { ParsedFile, Position, Range, Severity, Span, Statement, StringLiteral } from '../analysis/types.js';
import { editInLiteral, literalParses, readsOf } from './string-edits.js';
import { rules as allRules } from '../rules/lib/catalog.js';
import { docsUrl, type Edit, type Fix, type FixKind, type Related, type Report, type Rule } from '../rules/types.js';
import { fileId } from '../rules/lib/util.js';

/** Findings in the order of their positions (then rule), as a file's list is shown. */
const byPosition = (a: Finding, b: Finding): number => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.rule.localeCompare(b.rule);

/** The parses of parts of changelogs' own SQL (Workspace.parsed): their findings get no fixes. */
const inlineParses = new WeakSet<ParsedFile>();

export interface EditWithRange extends Edit {
  range: Range;
}

export interface FixWithRanges extends Omit<Fix, 'edits'> {
  edits: EditWithRange[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  file: string;
  start: number;
  end: number;
  range: Range;
  message: string;
  docs: string;
  fixes: FixWithRanges[];
  related: Array<Related & { range: Range }>;
}

export { initParser };

export const ruleById: ReadonlyMap<string, Rule> = new Map(allRules.map((r) => [r.meta.id, r]));
export const ruleIds: ReadonlySet<string> = new Set(ruleById.keys());

export interface LintResult {
  /** findings per file id, for every file of the workspace (empty arrays included) */
  byFile: Map<string, Finding[]>;
  /** the model of the workspace's first database (its only one, unless its files make several: databases.ts) */
  model: Model;
  /** each database with its model (one, unless the files make several) */
  databases: Array<{ database: Database; model: Model }>;
  /** milliseconds spent per rule */
  timings: Map<string, number>;
}

export class Workspace {
  private texts = new Map<string, string>();
  private parsedCache = new Map<string, ParsedFile>();
  /** the files of the last partition that no migration tool applies (databases.ts, kind 'unapplied'; a Drizzle Kit journal's folder's files it does not list; a Liquibase master's folder's files no changelog runs), with why (model.ts NOT_APPLIED) */
  private unapplied = new Map<string, string>();
  /** the files of the last partition in folders inside a supabase/migrations/ that holds no file itself: replayed (historyInArchives) */
  private archiveHistory = new Set<string>();
  /** the parse of a file's previous text, until its new text is parsed against it */
  private previousParse = new Map<string, ParsedFile>();
  /**
   * Parses of the workspace this one is a clone of: still that workspace's, so an edit here
   * copies their moved statements instead of moving them in place. (A clone lives while the
   * workspace it was made from is unchanged: checkFix's.)
   */
  private borrowed = new WeakSet<ParsedFile>();
  /**
   * Per database (by builtKey): its model, and what its last build left for the next one
   * (buildModel's resume point), not the model itself once an edit invalidates it: the previous
   * model is garbage then, instead of being in memory beside the next one while that is built.
   */
  private built = new Map<string, { model?: Model; resume?: ResumePoint }>();
  /** the files of each database (databases.ts), until a file or the config changes */
  private dbs: { list: Database[]; byFile: Map<string, Database>; configs: Map<Database, Config> } | undefined;
  /** what the workspace's Supabase projects' config.toml files say their Data APIs serve */
  private api: readonly ApiSchemas[] = [];
  /** the plans (sqitch.plan) of the workspace's sqitch projects: their replay order */
  private plans: readonly SqitchPlan[] = [];
  /** the journals (meta/_journal.json) of the workspace's Drizzle Kit migrations folders: their replay order and the files they leave out */
  private journals: readonly DrizzleJournal[] = [];
  /** the graphile-migrate projects (.gmrc) of the workspace: their replay order */
  private graphile: readonly GraphileMigrate[] = [];
  /** the Liquibase master changelogs of the workspace, followed: their replay order and the files they never run */
  private liquibase: readonly LiquibaseChangelog[] = [];
  /** where Liquibase splits the plain SQL files a changeSet's sqlFile runs (by decoded id): parseFile's `liquibase` */
  private liquibaseSplits = new Map<string, LiquibaseSplit>();
  /** the parts of the changelogs' own SQL (by decoded id; liquibase-inline.ts): each such file's text is its changelog's, linted as its part's SQL */
  private inlineParts = new Map<string, InlineSql[]>();
  /** the SQL files docker compose files mount into the postgres image's /docker-entrypoint-initdb.d/: replayed first */
  private initdb: readonly InitdbScripts[] = [];
  private readonly editing: boolean;
  /** a file id's path relative to the workspace root (the config's globs are), `/`-separated */
  private readonly relPath: (id: string) => string | undefined;
  private cachedResult: LintResult | undefined;

  /**
   * `editing`: edits will follow (the language server). The first build then records what its
   * replay did, so the first edit after a workspace opens redoes the model from those records
   * instead of replaying every file again: on the bench, the first re-lint after the full lint
   * went from 350–560 to 95–218 ms (probe and bench runs), for 10–13 % more CPU in the first build's model phase
   * (≈ 60–100 ms). The CLI lints once and records nothing.
   */
  constructor(
    private config: Config = DEFAULT_CONFIG,
    private readonly ruleSet: readonly Rule[] = allRules,
    options: { editing?: boolean; relPath?: (id: string) => string | undefined } = {},
  ) {
    this.editing = !!options.editing;
    this.relPath = options.relPath ?? ((id) => id.replace(/\\/g, '/'));
  }

  getConfig(): Config {
    return this.config;
  }

  setConfig(config: Config): void {
    this.config = config;
    this.invalidate();
  }

  /**
   * The schemas the workspace's Supabase projects serve through their Data API (read from
   * their `supabase/config.toml` by the caller): each database's tables there count as
   * exposed (configWithApi).
   */
  setApiSchemas(api: readonly ApiSchemas[]): void {
    if (JSON.stringify(api) === JSON.stringify(this.api)) return;
    this.api = api;
    this.invalidate();
  }

  /** The plans of the workspace's sqitch projects (read from their `sqitch.plan` by the caller): each project's deploy scripts replay in its plan's order. */
  setSqitchPlans(plans: readonly SqitchPlan[]): void {
    if (JSON.stringify(plans) === JSON.stringify(this.plans)) return;
    this.plans = plans;
    this.invalidate();
  }

  /**
   * The journals of the workspace's Drizzle Kit migrations folders (read from their
   * `meta/_journal.json` by the caller): each folder's files replay in its journal's order, and
   * those right in it that it does not list are parsed, not replayed (drizzle's migrator never
   * applies them).
   */
  setDrizzleJournals(journals: readonly DrizzleJournal[]): void {
    if (JSON.stringify(journals) === JSON.stringify(this.journals)) return;
    this.journals = journals;
    this.invalidate();
  }

  /**
   * The graphile-migrate projects of the workspace (read from their `.gmrc` by the caller): each
   * project's afterReset files replay first, then its committed migrations by number, then its
   * current migration, then the other files of its migrations folder.
   */
  setGraphileMigrate(projects: readonly GraphileMigrate[]): void {
    if (JSON.stringify(projects) === JSON.stringify(this.graphile)) return;
    this.graphile = projects;
    this.invalidate();
  }

  /**
   * The Liquibase master changelogs of the workspace (followed by the caller: includes,
   * includeAll folders, sqlFile): the SQL files each runs replay in its order, and those under
   * its folder that no changelog runs are parsed, not replayed (liquibase update never runs them).
   */
  setLiquibaseChangelogs(changelogs: readonly LiquibaseChangelog[]): void {
    if (JSON.stringify(changelogs) === JSON.stringify(this.liquibase)) return;
    this.liquibase = changelogs;
    const splits = liquibaseSplits(changelogs);
    const parts = new Map<string, InlineSql[]>();
    for (const c of changelogs) if (!c.unread) for (const [id, part] of Object.entries(c.inline ?? {})) if (!parts.has(decodedId(id))) parts.set(decodedId(id), part.changes);
    // (a file split otherwise, or a part made of other changes, is parsed again, from scratch)
    for (const f of this.texts.keys()) {
      const k = decodedId(f);
      if (JSON.stringify(splits.get(k)) !== JSON.stringify(this.liquibaseSplits.get(k)) || JSON.stringify(parts.get(k)) !== JSON.stringify(this.inlineParts.get(k))) {
        this.parsedCache.delete(f);
        this.previousParse.delete(f);
      }
    }
    this.liquibaseSplits = splits;
    this.inlineParts = parts;
    this.invalidate();
  }

  /**
   * The parts of the Liquibase changelogs' own SQL (setLiquibaseChangelogs), each with its
   * changelog's id: the caller gives each part its changelog's text (setFile) and shows a part's
   * findings on its changelog (a changelog's first part has its id).
   */
  liquibaseParts(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.liquibase) if (!c.unread) for (const [id, part] of Object.entries(c.inline ?? {})) if (!out.has(id)) out.set(id, part.changelog);
    return out;
  }

  /**
   * `byFile` (a lint's findings by file) with the findings of each later part of a changelog's own
   * SQL (liquibaseParts: `master.xml#2` …) on its changelog, in position order: what the CLI and
   * the language server show. The same map when there is no such part.
   */
  onChangelogs(byFile: ReadonlyMap<string, Finding[]>): ReadonlyMap<string, Finding[]> {
    const parts = [...this.liquibaseParts()].filter(([part, changelog]) => part !== changelog);
    if (parts.length === 0) return byFile;
    const out = new Map(byFile);
    for (const [part, changelog] of parts) {
      const more = out.get(part) ?? [];
      out.delete(part);
      if (more.length) out.set(changelog, [...(out.get(changelog) ?? []), ...more.map((f) => ({ ...f, file: changelog }))].sort(byPosition));
    }
    return out;
  }

  /**
   * The SQL a file runs as Liquibase splits it, each statement ended by a semicolon (a part of a
   * changelog's own SQL, a plain SQL file a sqlFile runs: their delimiters `/`, GO, an
   * endDelimiter as semicolons; everything else blank): what verify executes. Undefined for
   * any other file (its own text).
   */
  runText(file: string): string | undefined {
    const k = decodedId(file);
    const changes = this.inlineParts.size ? this.inlineParts.get(k) : undefined;
    const text = this.texts.get(file);
    if (text === undefined) return undefined;
    if (changes) {
      const part = inlineText(text, changes);
      return lex(part.text, part.split).clean;
    }
    const split = this.liquibaseSplits.size ? this.liquibaseSplits.get(k) : undefined;
    return split && !isLiquibaseFormatted(text) ? lex(text, split).clean : undefined;
  }

  /**
   * The SQL files the workspace's docker compose files mount into the postgres image's
   * `/docker-entrypoint-initdb.d/` (read by the caller), in the order its entrypoint runs them when
   * it makes the database: each database's replay starts with those among its files.
   */
  setInitdbScripts(scripts: readonly InitdbScripts[]): void {
    if (JSON.stringify(scripts) === JSON.stringify(this.initdb)) return;
    this.initdb = scripts;
    this.invalidate();
  }

  /** The config `file`'s database is linted with (the first database's for a file not in the workspace). */
  configOf(file?: string): Config {
    const { list, byFile, configs } = this.partition();
    return configs.get((file !== undefined ? byFile.get(file) : undefined) ?? list[0]!) ?? this.config;
  }

  /** Adds or replaces a file. Returns false when the text did not change. */
  setFile(file: string, text: string): boolean {
    if (this.texts.get(file) === text) return false;
    this.texts.set(file, text);
    const before = this.parsedCache.get(file);
    if (before) this.previousParse.set(file, before);
    this.parsedCache.delete(file);
    this.invalidate();
    return true;
  }

  removeFile(file: string): boolean {
    const had = this.texts.delete(file);
    this.parsedCache.delete(file);
    this.previousParse.delete(file);
    if (had) this.invalidate();
    return had;
  }

  has(file: string): boolean {
    return this.texts.has(file);
  }

  text(file: string): string | undefined {
    return this.texts.get(file);
  }

  files(): string[] {
    return [...this.texts.keys()];
  }

  parsed(file: string): ParsedFile | undefined {
    const text = this.texts.get(file);
    if (text === undefined) return undefined;
    let p = this.parsedCache.get(file);
    if (!p) {
      const before = this.previousParse.get(file);
      // the previous parse is given up (its moved statements are moved in place), unless it is borrowed
      const consume = before !== undefined && !this.borrowed.has(before);
      const changes = this.inlineParts.size ? this.inlineParts.get(decodedId(file)) : undefined;
      if (changes) {
        // (a part of a changelog's own SQL: its SQL text parsed, its positions the changelog's)
        const part = inlineText(text, changes);
        p = parseFile(file, part.text, before, { consume, liquibase: part.split });
        const at = inlinePositions(text, part.map);
        p.positionAt = at.positionAt;
        p.offsetAt = at.offsetAt;
        inlineParses.add(p);
      } else {
        const liquibase = this.liquibaseSplits.size ? this.liquibaseSplits.get(decodedId(file)) : undefined;
        p = parseFile(file, text, before, { consume, ...(liquibase ? { liquibase } : {}) });
      }
      this.previousParse.delete(file);
      this.parsedCache.set(file, p);
    }
    return p;
  }

  /** The databases the workspace's files make (one, unless they make several: databases.ts). */
  databases(): Database[] {
    return this.partition().list;
  }

  private partition(): { list: Database[]; byFile: Map<string, Database>; configs: Map<Database, Config> } {
    if (!this.dbs) {
      const seedRank = listedRankBy(this.api, 'seed');
      const schemaRank = listedRankBy(this.api, 'schema');
      const list = databasesOf(this.files(), this.relPath, this.config.databases ?? 'auto', (id) => relationRefs(this.parsed(id)!), (id) => listedInConfig(this.api, seedRank, schemaRank, id));
      // (files a Supabase project holds that its CLI never applies, and the files of a Drizzle Kit
      // migrations folder its journal does not list: parsed, not replayed; a file whose mark goes
      // is parsed again, so that nothing computed from it before stays)
      const unapplied = new Map(list.flatMap((d) => (d.kind === 'unapplied' ? d.files.map((f): [string, string] => [f, NOT_APPLIED.supabase]) : [])));
      for (const [f, j] of unlistedFiles(this.texts.keys(), this.journals)) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.drizzle(j.source));
      for (const [f, c] of unrunFiles(this.texts.keys(), this.liquibase, (id) => this.texts.get(id))) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.liquibase(c.source));
      for (const f of unplannedScripts(this.texts.keys(), this.plans).keys()) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.sqitch);
      for (const [f, g] of unrunGraphileFiles(this.texts.keys(), this.graphile)) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.graphile(g.source));
      for (const f of rollbackTwins(this.texts.keys())) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.rollback);
      for (const f of extensionVersionScripts(this.texts.keys())) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.extension);
      // (a folder named as an archive beside the migrations: not where the config names the databases' files)
      if ((this.config.databases ?? 'auto') === 'auto') for (const f of archivedFolderFiles(this.texts.keys(), this.relPath)) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.archive);
      // (a folder repeating a Supabase project's migrations under other names: the CLI applies those)
      for (const [f, folder] of mirroredHistories(list, (id) => this.parsed(id))) if (!unapplied.has(f)) unapplied.set(f, NOT_APPLIED.mirror(folder));
      for (const f of this.unapplied.keys()) if (!unapplied.has(f)) this.parsedCache.delete(f);
      for (const [f, why] of unapplied) {
        if (!this.unapplied.has(f)) this.parsedCache.delete(f);
        markNotApplied(this.parsed(f)!, why);
      }
      this.unapplied = unapplied;
      // (a Supabase project with nothing right in supabase/migrations/: its folders there are its history)
      const history = historyInArchives(this.texts.keys());
      for (const f of this.archiveHistory) if (!history.has(f)) this.parsedCache.delete(f);
      for (const f of history) {
        if (!this.archiveHistory.has(f)) this.parsedCache.delete(f);
        markArchiveReplayed(this.parsed(f)!, true);
      }
      this.archiveHistory = history;
      const byFile = new Map<string, Database>();
      const configs = new Map<Database, Config>();
      for (const d of list) {
        for (const f of d.files) byFile.set(f, d);
        let c = this.api.length ? configWithApi(this.config, d.files, this.api) : this.config;
        const plans = this.plans.filter((p) => d.files.some((f) => f.startsWith(p.folder)));
        if (plans.length) c = { ...c, sqitchPlans: plans };
        const journals = this.journals.filter((j) => d.files.some((f) => f.startsWith(j.folder)));
        if (journals.length) c = { ...c, drizzleJournals: journals };
        const graphile = this.graphile.filter((g) => d.files.some((f) => f.startsWith(g.folder)));
        if (graphile.length) c = { ...c, graphileMigrate: graphile };
        const liquibase = this.liquibase.filter((l) => d.files.some((f) => f.startsWith(l.folder) || l.files.includes(f)));
        if (liquibase.length) c = { ...c, liquibaseChangelogs: liquibase };
        if (this.config.order?.length) c = { ...c, orderRanks: orderRanks(d.files, this.relPath, this.config.order) };
        const seeds = ranksOf(d.files, seedRank);
        if (seeds.size) c = { ...c, seedRanks: seeds };
        const schemas = ranksOf(d.files, schemaRank);
        if (schemas.size) c = { ...c, schemaRanks: schemas };
        const inits = new Map<string, number>();
        for (const s of this.initdb) for (const f of s.files) if (!inits.has(f) && d.files.includes(f)) inits.set(f, inits.size);
        if (inits.size) c = { ...c, initdbRanks: inits };
        configs.set(d, c);
      }
      this.dbs = { list, byFile, configs };
      // (a database no longer made: what its builds left goes)
      for (const key of [...this.built.keys()]) if (!list.some((d) => builtKey(d) === key)) this.built.delete(key);
    }
    return this.dbs;
  }

  /** The model of the database holding `file` (of the first database without one, or for a file not in the workspace). */
  model(file?: string): Model {
    const { list, byFile } = this.partition();
    return this.modelOf((file !== undefined ? byFile.get(file) : undefined) ?? list[0]!);
  }

  private modelOf(db: Database): Model {
    let b = this.built.get(builtKey(db));
    if (!b) this.built.set(builtKey(db), (b = { resume: this.editing ? recordFromStart() : undefined }));
    if (!b.model) {
      const files = db.files.map((f) => this.parsed(f)!);
      const config = this.partition().configs.get(db) ?? this.config;
      let model = buildModel(files, config, b.resume);
      // (a CREATE TABLE whose FOREIGN KEY names a table made only later makes no table, nor do the
      // ENABLE and policies after it: built again without it when those are not the last build's;
      // what makes them so depends on the files alone, so the second build finds the same)
      const failing = createsReferencingLater(model).map((x) => x.stmt);
      if (!sameItems(failing, resumePointOf(model)?.failing ?? [])) model = buildModel(files, config, b.resume, failing);
      b.model = model;
      b.resume = resumePointOf(b.model);
    }
    return b.model;
  }

  /** Lints the whole workspace (cached until a file or the config changes). */
  lint(): LintResult {
    if (this.cachedResult) return this.cachedResult;
    // (psql variables are in the model under the names put in for them: messages and fixes get them back as written)
    const databases = this.databases().map((database) => ({ database, model: this.modelOf(database), written: asWritten(database.files.map((f) => this.parsed(f))) }));
    const byFile = new Map<string, Finding[]>();
    for (const f of this.files()) byFile.set(f, []);
    const timings = new Map<string, number>();
    // filesOf's list of a report whose edits and related places are all in its own file, one per file (never mutated)
    const ownFiles = new Map<string, Array<string | number>>();
    for (const rule of this.ruleSet) {
      const setting = this.config.rules[rule.meta.id];
      if (setting === 'off') continue;
      const severity = setting ?? rule.meta.severity;
      const id = rule.meta.id;
      // one docs URL per rule, not a string made per finding
      const docs = docsUrl(id);
      const t0 = performance.now();
      // the last report's file, its findings and parsed file: a rule's reports come mostly file by file
      let lastFile: string | undefined;
      let lastList: Finding[] | undefined;
      let lastPf: ParsedFile | undefined;
      // the files list a kept finding last held that this model still has as they were (kept findings of a file share one)
      let sameAsModel: unknown;
      let model = databases[0]!.model;
      let written = databases[0]!.written;
      const context = {
        model,
        config: this.config,
        report: (r: Report) => {
          if (r.file !== lastFile) {
            lastFile = r.file;
            lastList = byFile.get(r.file);
            lastPf = undefined;
          }
          const list = lastList;
          if (!list) return;
          const kept = r.kept;
          // (the finding's own rule and severity are what it was made with: the record keeps only it and its files)
          const had = kept?.finding as Finding | undefined;
          const own = setting ?? r.severity ?? severity;
          if (had && had.severity === own && had.rule === id && (kept!.files === sameAsModel || sameFiles(kept!.files!, model))) {
            sameAsModel = kept!.files;
            list.push(had);
            return;
          }
          const pf = (lastPf ??= this.parsed(r.file));
          if (!pf) return;
          const start = pf.positionAt(r.start);
          if (isSuppressed(pf, id, start.line)) return;
          // (what it quotes of a DO block's EXECUTE strings, as PostgreSQL runs it: its files' strings' readsOf)
          const run = this.asRunFor(r, pf);
          const finding: Finding = {
            rule: id,
            severity: own,
            file: r.file,
            start: r.start,
            end: r.end,
            range: { start, end: pf.positionAt(r.end) },
            message: said(r.message, written, run),
            docs,
            // (none in a changelog's own SQL, nor one editing it from another file: an edit there would be written into XML or YAML unescaped, or into the SQL Liquibase makes for a change type)
            fixes: r.fixes?.length && !inlineParses.has(pf) ? this.withRanges(this.editable(this.outsideParts(r), pf, model), pf, r.start, start, written, run) : NONE,
            related: r.related?.length ? this.relatedWithRanges(r.related, pf, written, run) : NONE,
          };
          list.push(finding);
          if (kept) {
            kept.finding = finding;
            kept.files = filesOf(r, model, ownFiles);
          }
        },
      };
      // (one try per database: a rule that throws on one database still reports on the others)
      for (const db of databases) {
        try {
          model = context.model = db.model;
          sameAsModel = undefined;
          written = db.written;
          context.config = db.model.config;
          rule.check(context);
        } catch (e) {
          // A rule bug must never take the others down; report it where it can be seen.
          const first = db.database.files[0] ?? this.files()[0];
          if (first) {
            byFile.get(first)?.push({
              rule: rule.meta.id,
              severity: 'hint',
              file: first,
              start: 0,
              end: 0,
              range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
              message: `internal error in rule ${rule.meta.id}: ${(e as Error)?.message ?? e}`,
              docs: docsUrl(rule.meta.id),
              fixes: [],
              related: [],
            });
          }
        }
      }
      timings.set(rule.meta.id, (timings.get(rule.meta.id) ?? 0) + performance.now() - t0);
    }
    for (const list of byFile.values()) if (!inOrder(list)) list.sort(byPlace);
    this.cachedResult = { byFile, model: databases[0]!.model, databases, timings };
    return this.cachedResult;
  }

  /** A copy of this workspace (shares parsed files that are unchanged), to be used while this one is unchanged. */
  clone(): Workspace {
    const w = new Workspace(this.config, this.ruleSet, { relPath: this.relPath });
    w.api = this.api;
    w.plans = this.plans;
    w.journals = this.journals;
    w.graphile = this.graphile;
    w.liquibase = this.liquibase;
    w.liquibaseSplits = this.liquibaseSplits;
    w.inlineParts = this.inlineParts;
    for (const [f, t] of this.texts) {
      w.texts.set(f, t);
      const p = this.parsedCache.get(f);
      if (p) {
        w.borrowed.add(p);
        w.parsedCache.set(f, p);
      }
    }
    for (const [name, b] of this.built) w.built.set(name, { resume: b.resume });
    return w;
  }

  private rangeOf(file: string, start: number, end: number): Range {
    const pf = this.parsed(file);
    if (!pf) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { start: pf.positionAt(start), end: pf.positionAt(end) };
  }

  /**
   * A report's fixes with their edits' ranges and line ends. `pf` is the parsed file of the
   * report, where nearly every edit is: its edits are not looked up again by name, and the
   * file's line end is read once per report, not per edit. Fixes, edits and related places
   * are copied field by field (the fields of Fix, Edit and Related, in that order), not
   * spread: `{ ...e, newText, range }` was the most expensive line of the engine's report
   * path. With the docs URL made once per rule and filesOf listing the report's own file
   * once, turning the bench's 4,471 reports into findings (the reports of a cold lint
   * replayed with fresh kept records, warm) went from 22–30 to 8–11 ms CPU (3 A/B rounds),
   * and the path's allocation in a cold lint from ≈ 8.6 to 4.8 MB. What the findings keep
   * alive went from 5.0 to 3.0 MB, and to 2.5 MB with the positions shared below and
   * filesOf's list shared per file.
   */
  private withRanges(fixes: readonly Fix[], pf: ParsedFile, reportStart: number, reportStartAt: Position, written?: (s: string) => string, run?: (s: string) => string): FixWithRanges[] {
    // (indexed loops into exact-size lists: the map closures of each report were ≈ 0.9 MB of a
    // cold bench lint's allocation, their code not optimised yet)
    let crlf: boolean | undefined;
    const out = new Array<FixWithRanges>(fixes.length);
    for (let i = 0; i < fixes.length; i++) {
      const fix = fixes[i]!;
      const edits = new Array<EditWithRange>(fix.edits.length);
      for (let j = 0; j < edits.length; j++) {
        const e = fix.edits[j]!;
        const text = written ? written(e.newText) : e.newText;
        if (e.file !== pf.file) {
          edits[j] = { file: e.file, start: e.start, end: e.end, newText: this.withFileEol(e.file, text), range: this.rangeOf(e.file, e.start, e.end) };
          continue;
        }
        crlf ??= hasCrlf(pf.text);
        const newText = withEol(text, crlf);
        // a position at the report's start, or an insertion's end, is the same object (Positions are never mutated: LSP copies them)
        const start = e.start === reportStart ? reportStartAt : pf.positionAt(e.start);
        edits[j] = { file: e.file, start: e.start, end: e.end, newText, range: { start, end: e.end === e.start ? start : pf.positionAt(e.end) } };
      }
      out[i] = { title: said(fix.title, written, run), kind: fix.kind, edits };
    }
    return out;
  }

  /**
   * A report's fixes but those editing a statement a DO block's EXECUTE makes (Statement.dynamic:
   * its text is not in the file, only the string it is made from — finvy's loop of format()s)
   * where they cannot be written in that string: an edit inside the string's content gets its
   * text escaped for the string's quoting (string-edits.ts); a fix with an edit elsewhere in
   * such a statement, or in the strings of a function whose calls are replayed, is left out.
   */
  /** A report with only the fixes none of whose edits is in a part of a changelog's own SQL (itself when none is). */
  private outsideParts(r: Report): Report {
    const parts = this.inlineParts;
    const outside = (f: Fix) => f.edits.every((e) => !parts.has(decodedId(e.file)));
    if (parts.size === 0 || r.fixes!.every(outside)) return r;
    return { ...r, fixes: r.fixes!.filter(outside) };
  }

  private editable(r: Report, pf: ParsedFile, model: Model): readonly Fix[] {
    // (and the calls the replay ran: the statements they run stand there, replayCall)
    const calls = replayedCallSpans(model);
    const own = dynamicStatements(pf);
    const ownCalls = calls.get(pf.file) ?? NONE;
    const fixes = r.fixes!;
    if (own.length === 0 && ownCalls.length === 0 && fixes.every((f) => f.edits.every((e) => e.file === pf.file))) return fixes;
    const at = (s: Span) => s.start <= r.start && r.start <= s.end;
    if (ownCalls.some(at)) return NONE;
    // (on such a statement, an edit of its file elsewhere than in a string would be placed by it, in the DO block)
    const onDynamic = own.some(at);
    let out: Fix[] | undefined;
    for (let i = 0; i < fixes.length; i++) {
      const f = fixes[i]!;
      const written = this.writtenInStrings(f, pf, calls, onDynamic, r.start);
      if (written === f && !out) continue;
      out ??= fixes.slice(0, i);
      if (written) out.push(written);
    }
    return out ?? fixes;
  }

  /** A fix with its edits inside dynamic statements' strings written for them; undefined when one cannot be (editable). */
  private writtenInStrings(f: Fix, pf: ParsedFile, calls: ReturnType<typeof replayedCallSpans>, onDynamic: boolean, reportStart: number): Fix | undefined {
    let edits: Edit[] | undefined;
    // the strings edited, each with its file's text
    let strings: Map<StringLiteral, string> | undefined;
    // the texts the title quotes as a string writes them, and as SQL reads them
    let reads: Array<{ written: string; sql: string }> | undefined;
    for (let j = 0; j < f.edits.length; j++) {
      const given = f.edits[j]!;
      const hit = (s: Span) => given.start <= s.end && s.start <= given.end;
      if ((calls.get(given.file) ?? NONE).some(hit)) return undefined;
      const touched = (given.file === pf.file ? dynamicStatements(pf) : dynamicStatements(this.parsed(given.file))).filter(hit) as Statement[];
      if (touched.length === 0) {
        // (but one outside the DO block holding the report: a statement of the file after it)
        if (onDynamic && given.file === pf.file && !outsideBlock(pf, reportStart, given)) return undefined;
        edits?.push(given);
        continue;
      }
      // (an edit at the statement's end — its EXECUTE's expression's — is one at the end of its text in the string)
      const e = atTextEnd(given, touched, given.file === pf.file ? reportStart : -1);
      // (the string it falls in: the statement's, or one string of its || chain)
      const inside = (l: StringLiteral) => l.start <= e.start && e.end <= l.end;
      const stringIn = (s: Statement) => (s.literal ? (inside(s.literal) ? s.literal : undefined) : s.pieces?.find(inside));
      const lit = stringIn(touched[0]!);
      // (every statement it touches made from that string: a loop's, one per value)
      if (!lit || touched.some((s) => stringIn(s)?.start !== lit.start || stringIn(s)?.end !== lit.end)) return undefined;
      const text = e.file === pf.file ? pf.text : this.texts.get(e.file) ?? '';
      const w = editInLiteral(e, text, lit);
      if (!w) return undefined;
      edits ??= f.edits.slice(0, j);
      edits.push({ file: e.file, start: w.start, end: w.end, newText: w.newText });
      (strings ??= new Map()).set(lit, text);
      // (the title quotes the SQL as it will read, not as the string writes it)
      if (w.read) (reads ??= []).push(...w.read);
    }
    if (!edits || !strings) return f;
    // (each string edited still holds statements PostgreSQL parses; a chain's, with what the chain makes around it)
    for (const [lit, text] of strings) {
      const inside = edits.filter((e) => e.start >= lit.start && e.end <= lit.end && (e.file === pf.file ? pf.text : this.texts.get(e.file)) === text);
      const content = applyEdits(text, inside).slice(lit.start, lit.end + inside.reduce((n, e) => n + e.newText.length - (e.end - e.start), 0));
      if (!literalParses(content, lit, lit.around?.before, lit.around?.after)) return undefined;
    }
    let title = f.title;
    for (const r of reads ?? []) title = title.split(r.written).join(r.sql);
    return { title, kind: f.kind, edits };
  }

  /**
   * A report's text (message, related messages, fix titles) with what it quotes of DO blocks'
   * EXECUTE strings as PostgreSQL runs it (`current_setting('app.x')`, not the string's
   * `current_setting(''app.x'')`): the strings of its file and of its related places' files
   * (asRunOf); undefined where they write nothing otherwise than it runs.
   */
  private asRunFor(r: Report, pf: ParsedFile): ((s: string) => string) | undefined {
    let run = asRunOf(pf);
    for (const x of r.related ?? NONE) {
      if (x.file === pf.file) continue;
      const other = asRunOf(this.parsed(x.file));
      if (!other || other === run) continue;
      const before = run;
      run = before ? (s) => other(before(s)) : other;
    }
    return run;
  }

  private relatedWithRanges(related: readonly Related[], pf: ParsedFile, written?: (s: string) => string, run?: (s: string) => string): Array<Related & { range: Range }> {
    return related.map((x) => ({
      file: x.file,
      start: x.start,
      end: x.end,
      message: said(x.message, written, run),
      range: x.file === pf.file ? { start: pf.positionAt(x.start), end: pf.positionAt(x.end) } : this.rangeOf(x.file, x.start, x.end),
    }));
  }

  /** Rules write fixes with \n; a file with CRLF line ends gets CRLF. */
  private withFileEol(file: string, newText: string): string {
    return newText.includes('\n') ? withEol(newText, hasCrlf(this.texts.get(file) ?? '')) : newText;
  }

  private invalidate(): void {
    for (const b of this.built.values()) b.model = undefined;
    this.dbs = undefined;
    this.cachedResult = undefined;
  }
}

/** A database's key among a workspace's builds: its kind and name (a config database may be named like the rest's). */
const builtKey = (d: Database) => `${d.kind}:${d.name}`;

/**
 * The fixes or related places of a finding without any: one frozen list shared by all (readers
 * only iterate them), not two empty arrays per finding, ≈ 0.3 MB of the bench's 4,471 findings
 * (nearly none has related places).
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * A message or title as a finding says it: on one line (oneLine), what it quotes of DO blocks'
 * EXECUTE strings as PostgreSQL runs it (`run`, asRunOf), psql variables as written (`written`).
 */
function said(s: string, written: ((s: string) => string) | undefined, run: ((s: string) => string) | undefined): string {
  const line = oneLine(run ? run(s) : s);
  return written ? written(line) : line;
}

/** Whether an edit lies outside the top-level DO block holding `at` (a report on a statement its EXECUTE makes): before or after it, not in it. */
function outsideBlock(pf: ParsedFile, at: number, e: Span): boolean {
  const block = doBlockAround(pf, at);
  return !!block && (e.start >= block.end || e.end <= block.start);
}

/**
 * An edit of dynamic statements (`touched`) with an end at a statement's end — the end of its
 * EXECUTE's expression, after the string: `WITH CHECK (…)` added at a policy's end — moved to where
 * the statement's text ends in the string (Statement.inString). Where a string holds several
 * statements, the one the report is on, else one end they all share; otherwise the edit as given.
 */
function atTextEnd(e: Edit, touched: readonly Statement[], reportStart: number): Edit {
  const ending = touched.filter((s) => s.inString && (e.start === s.end || e.end === s.end));
  if (ending.length === 0) return e;
  const own = ending.filter((s) => s.inString!.start <= reportStart && reportStart <= s.inString!.end);
  const from = own.length ? own : ending;
  const to = from[0]!.inString!.end;
  if (from.some((s) => s.inString!.end !== to || s.end !== from[0]!.end)) return e;
  const at = from[0]!.end;
  const start = e.start === at ? to : e.start;
  return start <= to ? { file: e.file, start, end: e.end === at ? to : e.end, newText: e.newText } : e;
}

/**
 * A parsed file's dynamic statements' strings (a loop's per value, a catalog loop's and a called
 * function's templates) read as SQL: the string constants they write otherwise than PostgreSQL
 * runs them, each put back as it runs (readsOf), the longer first; undefined where there are none.
 * Kept per parsed file: its statements' strings are its text's.
 */
const asRunOfFile = new WeakMap<ParsedFile, ((s: string) => string) | null>();
function asRunOf(pf: ParsedFile | undefined): ((s: string) => string) | undefined {
  if (!pf) return undefined;
  let run = asRunOfFile.get(pf);
  if (run === undefined) {
    const reads = new Map<string, string>();
    const seen = new Set<string>();
    const add = (s: Statement) => {
      if (!s.dynamic) return;
      for (const lit of s.literal ? [s.literal] : s.pieces ?? NONE) {
        const key = `${lit.start}:${lit.end}`;
        if (seen.has(key)) continue;
        seen.add(key);
        for (const r of readsOf(pf.text, lit)) if (!reads.has(r.written)) reads.set(r.written, r.sql);
      }
    };
    for (const s of pf.statements) {
      add(s);
      for (const t of s.catalog?.templates ?? NONE) add(t);
      for (const t of s.callTemplates?.templates ?? NONE) add(t);
    }
    if (reads.size === 0) run = null;
    else {
      const re = new RegExp([...reads.keys()].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
      run = (s) => s.replace(re, (m) => reads.get(m) ?? m);
    }
    asRunOfFile.set(pf, run);
  }
  return run ?? undefined;
}

/** A parsed file's statements made by DO blocks' EXECUTEs (read for their offsets when asked: an edit moves them). */
const dynamicOf = new WeakMap<ParsedFile, readonly Span[]>();
function dynamicStatements(pf: ParsedFile | undefined): readonly Span[] {
  if (!pf) return NONE;
  let list = dynamicOf.get(pf);
  if (!list) {
    const found: Span[] = [];
    for (const s of pf.statements) {
      if (s.dynamic) found.push(s);
      // (the strings of a function whose calls are replayed: model.ts replayCall)
      if (s.callTemplates) for (const t of s.callTemplates.templates) found.push(t);
    }
    list = found.length ? found : NONE;
    dynamicOf.set(pf, list);
  }
  return list;
}

/** The files a finding made from a report is computed in (its file, its fixes' edits', its related places'), each name with its parsed file (fileId). */
function filesOf(r: Report, model: Model, ownFiles: Map<string, Array<string | number>>): Array<string | number> {
  // (the report's own file once: nearly every edit and related place is in it; when all are, the list is shared)
  // (indexed loops: for-of makes an iterator and a result per element while this is not
  // optimised, as in a cold lint: ≈ 0.9 MB of the bench's 4,471 reports)
  let out: Array<string | number> | undefined;
  const fixes = r.fixes;
  if (fixes) {
    for (let i = 0; i < fixes.length; i++) {
      const edits = fixes[i]!.edits;
      for (let j = 0; j < edits.length; j++) {
        const e = edits[j]!;
        if (e.file !== r.file) (out ??= [r.file, fileId(model, r.file)]).push(e.file, fileId(model, e.file));
      }
    }
  }
  const related = r.related;
  if (related) {
    for (let i = 0; i < related.length; i++) {
      const x = related[i]!;
      if (x.file !== r.file) (out ??= [r.file, fileId(model, r.file)]).push(x.file, fileId(model, x.file));
    }
  }
  if (out) return out;
  let own = ownFiles.get(r.file);
  if (!own) ownFiles.set(r.file, (own = [r.file, fileId(model, r.file)]));
  return own;
}

/** Whether each file of filesOf has the same parsed file now (a kept report never changes: its file names are those listed). */
function sameFiles(files: ReadonlyArray<string | number>, model: Model): boolean {
  for (let i = 0; i < files.length; i += 2) if (fileId(model, files[i] as string) !== files[i + 1]) return false;
  return true;
}

/** A fix's text (written with \n) with CRLF line ends if `crlf`. */
function withEol(newText: string, crlf: boolean): string {
  return crlf && newText.includes('\n') ? newText.replace(/\r?\n/g, '\r\n') : newText;
}

/** Whether a text's first line ends with CRLF (its line end, for fixes). */
function hasCrlf(text: string): boolean {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r';
}

function isSuppressed(pf: ParsedFile, id: string, line: number): boolean {
  if (pf.disabledFile.has(id) || pf.disabledFile.has('*')) return true;
  const s = pf.disabledLines.get(line);
  return !!s && (s.has(id) || s.has('*'));
}

/** Applies edits (UTF-16 offsets) to a text; edits must not overlap. */
export function applyEdits(text: string, edits: ReadonlyArray<{ start: number; end: number; newText: string }>): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let lastStart = Infinity;
  for (const e of sorted) {
    if (e.end > lastStart) throw new Error('overlapping edits');
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    lastStart = e.start;
  }
  return out;
}

/** Groups a fix's edits per file and applies them to the workspace's texts. */
export function applyFixToWorkspace(ws: Workspace, fix: { edits: ReadonlyArray<Edit> }): Workspace {
  const copy = ws.clone();
  const byFile = new Map<string, Edit[]>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) copy.setFile(file, applyEdits(copy.text(file) ?? '', edits));
  return copy;
}

export interface FixCheck {
  ok: boolean;
  /** syntax errors or findings the fix introduced */
  introduced: Finding[];
  /** true when the finding the fix was for is gone */
  resolved: boolean;
}

/**
 * A message or title on one line: rules quote the SQL they are about as written, and a clause
 * written over several lines would break a diagnostic's line (the CLI's text and GitHub formats
 * print one per finding). Each line break, with the indentation around it, becomes one space.
 */
function oneLine(s: string): string {
  return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s : s.replace(/[ \t]*(?:\r\n?|\n)\s*/g, ' ');
}

const findingKey = (f: Finding, text: string) => `${f.rule}|${f.file}|${f.message}|${text.slice(f.start, f.end)}`;

/**
 * Re-lints the workspace with a fix applied: a fix may not add a syntax error or a new
 * finding, and should make its own finding disappear.
 */
export function checkFix(ws: Workspace, finding: Finding, fix: { edits: ReadonlyArray<Edit> }): FixCheck {
  const before = ws.lint();
  const afterWs = applyFixToWorkspace(ws, fix);
  const after = afterWs.lint();
  const beforeCount = new Map<string, number>();
  for (const [file, list] of before.byFile) {
    for (const f of list) {
      const k = findingKey(f, ws.text(file) ?? '');
      beforeCount.set(k, (beforeCount.get(k) ?? 0) + 1);
    }
  }
  const introduced: Finding[] = [];
  let resolved = true;
  for (const [file, list] of after.byFile) {
    for (const f of list) {
      const k = findingKey(f, afterWs.text(file) ?? '');
      const n = beforeCount.get(k) ?? 0;
      if (n > 0) beforeCount.set(k, n - 1);
      else introduced.push(f);
    }
  }
  // the original finding is still there if some finding of the same rule and message remains
  for (const list of after.byFile.values()) {
    if (list.some((f) => f.rule === finding.rule && f.message === finding.message && f.file === finding.file)) resolved = false;
  }
  return { ok: introduced.length === 0 && resolved, introduced, resolved };
}

/** Safe fixes of one file's findings that do not overlap, in one edit list (for --fix / fix all). */
export function safeFixEdits(findings: readonly Finding[], file: string, kinds: readonly FixKind[] = ['safe']): Edit[] {
  const chosen: Edit[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const fix = f.fixes.find((x) => kinds.includes(x.kind));
    if (!fix) continue;
    const edits = fix.edits.filter((e) => e.file === file);
    if (edits.length !== fix.edits.length) continue; // (a fix of edits in several files is applied in the editor only)
    const overlaps = edits.some((e) => chosen.some((c) => e.start < c.end && c.start < e.end || (e.start === e.end && e.start === c.start && c.start === c.end)));
    // identical insertions (e.g. two rules adding the same FORCE line) are applied once
    const keys = edits.map((e) => `${e.start}:${e.end}:${e.newText}`);
    if (keys.every((k) => seen.has(k))) continue;
    if (overlaps) continue;
    keys.forEach((k) => seen.add(k));
    chosen.push(...edits);
  }
  return chosen;
}

/** Convenience: lints in-memory files in one call (initialises the parser). */
export async function lintTexts(files: ReadonlyArray<{ file: string; text: string }>, config: Config = DEFAULT_CONFIG): Promise<LintResult & { workspace: Workspace }> {
  await initParser();
  const ws = new Workspace(config);
  for (const f of files) ws.setFile(f.file, f.text);
  return { ...ws.lint(), workspace: ws };
}

/**
 * A file id's place among the files a Supabase project's config.toml lists by globs relative to
 * its `supabase/` folder: the index of the first glob matching it, or undefined for a file none
 * lists. `seed`: `[db.seed] sql_paths`, which `supabase db reset` runs after every migration, the
 * files of the first glob first (model.ts migrationOrder puts them last in that order; a migration
 * or declarative schema a glob also names is applied as such); `schema`: `[db.migrations]
 * schema_paths`, the declarative schema's files of `schemas/` (those of other folders are not
 * replayed as one), in the order `supabase db diff` loads them.
 */
function listedRankBy(api: readonly ApiSchemas[], kind: 'seed' | 'schema'): (id: string) => number | undefined {
  const projects = api.flatMap((a) => {
    const globs = kind === 'seed' ? a.seedPaths : a.schemaPaths;
    return globs ? [{ folder: a.folder, globs: globs.map((g) => picomatch(g, { dot: false })) }] : [];
  });
  if (projects.length === 0) return () => undefined;
  const skipped = kind === 'seed' ? /^(?:migrations|schemas)\// : /^(?!schemas\/)/;
  return (id) => {
    const path = id.replace(/\\/g, '/');
    for (const p of projects) {
      if (!path.startsWith(p.folder)) continue;
      const rest = path.slice(p.folder.length);
      if (skipped.test(rest)) continue;
      const at = p.globs.findIndex((m) => m(rest));
      if (at >= 0) return at;
    }
    return undefined;
  };
}

/** The files `rank` places, with their places. */
function ranksOf(files: readonly string[], rank: (id: string) => number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of files) {
    const r = rank(f);
    if (r !== undefined) out.set(f, r);
  }
  return out;
}

/**
 * Whether a Supabase project's config.toml makes a file one it applies: true for one its `[db.seed]
 * sql_paths` lists, false for a file named as seeds are (`seed*.sql`, `seed/`, `seeds/`) that a
 * project with that entry does not list (the CLI runs only the listed ones); true for a file of
 * `schemas/` its `[db.migrations] schema_paths` lists, false for one it does not (`supabase db
 * diff` loads only those); undefined otherwise.
 */
function listedInConfig(api: readonly ApiSchemas[], seedRank: (id: string) => number | undefined, schemaRank: (id: string) => number | undefined, id: string): boolean | undefined {
  if (seedRank(id) !== undefined || schemaRank(id) !== undefined) return true;
  const path = id.replace(/\\/g, '/');
  const seeds = api.find((a) => a.seedPaths !== undefined && path.startsWith(a.folder));
  if (seeds !== undefined && DEFAULT_SEED.test(path.slice(seeds.folder.length))) return false;
  const schemas = api.find((a) => a.schemaPaths !== undefined && path.startsWith(a.folder));
  return schemas !== undefined && path.startsWith('schemas/', schemas.folder.length) ? false : undefined;
}
/** A file a Supabase project's folder holds where its seeds go when config.toml names none. */
const DEFAULT_SEED = /^(?:seeds?\/|seed[^/]*\.sql$)/i;

/** Where Liquibase splits the plain SQL files the changelogs' sqlFile changes run (by decoded id; splitStatements="false": not split, as psql). */
function liquibaseSplits(changelogs: readonly LiquibaseChangelog[]): Map<string, LiquibaseSplit> {
  const out = new Map<string, LiquibaseSplit>();
  for (const c of changelogs) {
    if (c.unread || !c.sqlFiles) continue;
    for (const [id, split] of Object.entries(c.sqlFiles)) {
      const k = decodedId(id);
      // (a file two masters run: the first one's)
      if (out.has(k) || !split.split) continue;
      out.set(k, [{ start: 0, end: Number.MAX_SAFE_INTEGER, ...(split.endDelimiter !== undefined ? { endDelimiter: split.endDelimiter } : {}) }]);
    }
  }
  return out;
}

/**
 * Findings in the order a file's are published: by start, then by rule id (code-unit order, which
 * for ids of lower-case letters, digits and hyphens is the order localeCompare gave, without its
 * cost: 6,700 findings sorted at every re-lint).
 */
function byPlace(a: Finding, b: Finding): number {
  return a.start - b.start || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

/** Whether a file's findings are already in byPlace's order (most are: rules report in file order). */
function inOrder(list: readonly Finding[]): boolean {
  for (let i = 1; i < list.length; i++) if (byPlace(list[i - 1]!, list[i]!) > 0) return false;
  return true;
}

