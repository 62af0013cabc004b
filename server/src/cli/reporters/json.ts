// The JSON contract other tools depend on: 0-based lines, UTF-16 characters, as LSP.
import type { LintRun } from '../run.js';

export function toJson(run: LintRun) {
  return {
    files: run.files.map((f) => ({
      path: f.path,
      diagnostics: f.findings.map((d) => ({
        rule: d.rule,
        severity: d.severity,
        message: d.message,
        range: d.range,
        fixes: d.fixes.map((x) => ({
          title: x.title,
          kind: x.kind,
          edits: x.edits.map((e) => ({ path: e.file, range: e.range, newText: e.newText })),
        })),
      })),
    })),
    /** files that could not be read, so were not linted (the exit code is 2) */
    unreadable: run.unreadable,
    /** the databases the files make, each replayed on its own: one (named "") unless they make several; each one's files in replay order */
    databases: run.databases.map((d) => ({ name: d.name, kind: d.kind, files: d.files })),
    /** files parsed (syntax errors reported) but not replayed, with why: no other rule sees their statements */
    notReplayed: run.notReplayed,
    /** files in folders inside a supabase/migrations/ holding no file itself: replayed as the project's history, in path order */
    historyInFolders: run.historyInFolders,
    /** with --baseline: how many findings it left out, and how many of its findings this run no longer found */
    ...(run.baseline ? { baseline: run.baseline } : {}),
  };
}

export function formatJson(run: LintRun): string {
  return JSON.stringify(toJson(run), null, 2);
}
