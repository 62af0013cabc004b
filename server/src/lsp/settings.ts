// Configuration of one workspace folder, in layers (later wins):
//   defaults  <  editor settings (`pgRlsLint` section)  <  `.pg-rls-lint.json` at the folder root
// The file wins so that the editor and CI (which reads only the file) agree. Problems of
// either layer are collected with their origin; nothing here throws or talks LSP.
import { join } from 'node:path';
import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';
import { CONFIG_FILE_NAME, mergeConfig, parseConfigText, validateConfig, type Config, type ConfigProblem } from '../analysis/config.js';
import { makePositionAt } from '../analysis/parse.js';
import { ruleIds } from '../engine/workspace.js';
import { fileUri, readTextFile } from '../io/files.js';

/** The editor settings the server reads (`pgRlsLint.<key>`); other keys of the section belong to the client. */
export const SETTINGS_KEYS = ['rules', 'include', 'exclude', 'exposedSchemas', 'defaultSchema', 'definerOwnerBypassesRls', 'anonymousSignIns'] as const;

export const SETTINGS_SECTION = 'pgRlsLint';

/** Keeps the server's keys of an editor settings object; null/undefined values mean "not set". */
export function pickEditorSettings(raw: unknown): Record<string, unknown> | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) return raw as Record<string, unknown>; // validateConfig reports it
  const out: Record<string, unknown> = {};
  for (const k of SETTINGS_KEYS) {
    const v = (raw as Record<string, unknown>)[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/**
 * `initializationOptions.settings` or `didChangeConfiguration`'s `settings`: either the
 * `pgRlsLint` section itself or an object holding it under `pgRlsLint`.
 */
export function sectionOf(settings: unknown): unknown {
  if (settings && typeof settings === 'object' && !Array.isArray(settings) && SETTINGS_SECTION in settings) {
    return (settings as Record<string, unknown>)[SETTINGS_SECTION];
  }
  return settings;
}

export interface ConfigIssue {
  origin: 'settings' | 'file';
  message: string;
  /** the JSON could not be parsed: the whole file is ignored */
  fatal?: boolean;
  /** 0-based position in the config file (file problems only) */
  line?: number;
  character?: number;
  /** UTF-16 span in the config file that the problem is about (file problems only) */
  start?: number;
  end?: number;
}

export interface ConfigFileState {
  uri: string;
  path: string;
  /** undefined when the file does not exist */
  text?: string;
}

export interface ResolvedConfig {
  config: Config;
  issues: ConfigIssue[];
  file: ConfigFileState;
}

export async function readConfigFile(folderPath: string): Promise<ConfigFileState & { unreadable?: string }> {
  const path = join(folderPath, CONFIG_FILE_NAME);
  const uri = fileUri(path);
  const r = await readTextFile(path, 'config');
  if (r.ok) return { uri, path, text: r.text };
  return r.missing ? { uri, path } : { uri, path, unreadable: r.reason };
}

/** Layers the editor settings and the config file's text into one config, with every problem. */
export function resolveConfig(editorSettings: unknown, file: ConfigFileState & { unreadable?: string }): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  const editor = validateConfig(pickEditorSettings(editorSettings), ruleIds);
  for (const p of editor.problems) issues.push({ origin: 'settings', message: p.message });
  let fileLayer = {};
  if (file.unreadable) {
    issues.push({ origin: 'file', message: `cannot read the file (${file.unreadable}); it is ignored`, fatal: true, line: 0, character: 0, start: 0, end: 0 });
  } else if (file.text !== undefined) {
    const parsed = parseConfigText(file.text, ruleIds);
    fileLayer = parsed.config;
    for (const p of parsed.problems) issues.push(locate(file.text, p));
  }
  return { config: mergeConfig(editor.config, fileLayer), issues, file };
}

/** Places a config-file problem: JSON errors carry their offset; value problems are found by the key they name. */
function locate(text: string, p: ConfigProblem): ConfigIssue {
  if (p.offset !== undefined) {
    const end = Math.min(text.length, p.offset + 1);
    return { origin: 'file', message: p.message, fatal: true, line: p.line ?? 0, character: p.character ?? 0, start: p.offset, end };
  }
  let node: JsonNode | undefined;
  try {
    const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
    const rule = /\brule "([^"]+)"/.exec(p.message);
    const key = /^(?:unknown setting )?"([^"]+)"/.exec(p.message);
    if (tree && rule) node = findNodeAtLocation(tree, ['rules', rule[1]!])?.parent;
    else if (tree && key) node = findNodeAtLocation(tree, [key[1]!])?.parent;
    if (tree && !node && /"rules"/.test(p.message)) node = findNodeAtLocation(tree, ['rules'])?.parent;
  } catch {
    node = undefined;
  }
  const start = node?.offset ?? 0;
  const end = node ? node.offset + node.length : 0;
  const lc = makePositionAt(text).positionAt(start);
  return { origin: 'file', message: p.message, line: lc.line, character: lc.character, start, end };
}

/** The warning shown once per distinct set of problems, or undefined when there are none. */
export function issuesMessage(issues: readonly ConfigIssue[], file: ConfigFileState, folderName: string): string | undefined {
  if (issues.length === 0) return undefined;
  const parts: string[] = [];
  const fromSettings = issues.filter((i) => i.origin === 'settings');
  const fromFile = issues.filter((i) => i.origin === 'file');
  if (fromSettings.length) {
    parts.push(`editor settings "${SETTINGS_SECTION}"${folderName ? ` (${folderName})` : ''}: ${fromSettings.map((i) => i.message).join('; ')}`);
  }
  if (fromFile.length) {
    const fatal = fromFile.some((i) => i.fatal);
    const where = (i: ConfigIssue) => (i.fatal || i.line === undefined ? '' : ` (line ${i.line + 1}, column ${(i.character ?? 0) + 1})`);
    parts.push(
      `${file.path}: ${fromFile.map((i) => i.message + where(i)).join('; ')}` +
        (fatal ? ' — the file is ignored; linting with the defaults (and editor settings)' : ''),
    );
  }
  return `pg-rls-lint: ${parts.join('. ')}.`;
}
