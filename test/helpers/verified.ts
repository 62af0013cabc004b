// Verify and the lint of the same files, and the lint findings the engine showed (confirm()).
import { join } from 'node:path';
import { mergeConfig, type Config } from '../../server/src/analysis/config.js';
import { before } from 'node:test';
import { initParser, ruleById, Workspace, type Finding } from '../../server/src/engine/workspace.js';
import { confirm, type Confirmation } from '../../server/src/verify/confirm.js';
import type { ExposureResult } from '../../server/src/verify/exposures.js';
import { verify, type VerifyFile, type VerifyOptions, type VerifyResult } from '../../server/src/verify/pglite.js';

export async function verified(files: VerifyFile[], opts: VerifyOptions, lintConfig?: Partial<Config>): Promise<{ result: VerifyResult; findings: Finding[]; shown: Array<Confirmation<Finding>> }> {
  const result = await verify(files, { cacheDir: join(__dirname, '..', '..', '.cache'), ...opts });
  await initParser();
  const ws = new Workspace(lintConfig ? mergeConfig(lintConfig) : undefined);
  for (const f of files) ws.setFile(f.file, f.text);
  const linted = ws.lint();
  const findings = [...linted.byFile.values()].flat();
  return { result, findings, shown: confirm(findings, linted.model, result, (rule) => ruleById.get(rule)?.meta.shownBy) };
}

/** What a test file's tests read of verified(): filled in by the `before` hook verifiedBefore() registers. */
export interface Verified {
  exposures: ExposureResult[];
  shown: Array<Confirmation<Finding>>;
  findings: Finding[];
}

/** verified() once for the test file, in a `before` hook (one PGlite per file): the object its tests read after. */
export function verifiedBefore(files: VerifyFile[], opts: VerifyOptions, lintConfig?: Partial<Config>): Verified {
  const out: Verified = { exposures: [], shown: [], findings: [] };
  before(async () => {
    const r = await verified(files, opts, lintConfig);
    out.exposures = r.result.exposures ?? [];
    out.shown = r.shown;
    out.findings = r.findings;
  });
  return out;
}
