// The `pgRlsLint.*` editor settings as the client sees them: the list of keys, a light type
// check (the server validates again and falls back to defaults), and the plain object sent as
// `initializationOptions.settings`. No `vscode` import, so tests can load this module directly.

/** The configuration section; `pgRlsLint.<key>` in settings.json. */
export const SECTION = 'pgRlsLint';

const SEVERITIES = ['error', 'warning', 'info', 'hint', 'off'];
const OWNER_BYPASS = ['auto', 'true', 'false'];
const TRACE = ['off', 'messages', 'verbose'];

const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Each setting the client reads (without the `pgRlsLint.` prefix) and the type check for its
 * value. `package.json` `contributes.configuration` declares exactly these (a test checks it).
 */
export const SETTINGS: Readonly<Record<string, (v: unknown) => boolean>> = {
  rules: (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((s) => typeof s === 'string' && SEVERITIES.includes(s)),
  include: isStringArray,
  exclude: isStringArray,
  exposedSchemas: isStringArray,
  defaultSchema: (v) => typeof v === 'string' && v.length > 0,
  // Booleans are accepted too: a hand-written `true` in settings.json means "true".
  definerOwnerBypassesRls: (v) => typeof v === 'boolean' || (typeof v === 'string' && OWNER_BYPASS.includes(v)),
  anonymousSignIns: (v) => typeof v === 'boolean' || (typeof v === 'string' && OWNER_BYPASS.includes(v)),
  // Read by vscode-languageclient itself (client id `pgRlsLint`).
  'trace.server': (v) => typeof v === 'string' && TRACE.includes(v),
};

/** The settings forwarded to the server (everything but the client-side trace setting). */
export const SERVER_SETTING_KEYS = Object.keys(SETTINGS).filter((k) => k !== 'trace.server');

/** Minimal view of `vscode.WorkspaceConfiguration` so this module stays vscode-free. */
export interface ConfigurationReader {
  get(key: string): unknown;
}

/** Keys (with the `pgRlsLint.` prefix) whose configured value has the wrong type. */
export function invalidSettings(config: ConfigurationReader): string[] {
  const bad: string[] = [];
  for (const [key, check] of Object.entries(SETTINGS)) {
    let value: unknown;
    try {
      value = config.get(key);
    } catch {
      value = Symbol('unreadable');
    }
    // undefined: not set and no default (e.g. in tests) — nothing to complain about.
    if (value !== undefined && !check(value)) bad.push(`${SECTION}.${key}`);
  }
  return bad;
}

/**
 * The settings as a plain JSON object for `initializationOptions.settings`. Values of the wrong
 * type are passed through unchanged: the server reports and replaces them with defaults.
 */
export function settingsObject(config: ConfigurationReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    try {
      const value = config.get(key);
      // Round-trip through JSON: WorkspaceConfiguration values can be proxies.
      if (value !== undefined) out[key] = JSON.parse(JSON.stringify(value));
    } catch {
      // An unreadable value is left out; the server uses its default.
    }
  }
  return out;
}
