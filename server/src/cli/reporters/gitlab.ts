// GitLab CI's code quality report (the Code Climate JSON subset GitLab reads: artifacts:reports:codequality),
// shown in merge requests as new and resolved findings, told apart by each finding's fingerprint.
import { createHash } from 'node:crypto';
import type { LintRun } from '../run.js';
import { fingerprints } from '../baseline.js';

// (GitLab's severities: info, minor, major, critical, blocker)
const severity = (s: string) => (s === 'error' ? 'critical' : s === 'warning' ? 'major' : 'info');

export function toGitlab(run: LintRun) {
  return run.files.flatMap((f) => {
    const prints = fingerprints(f);
    return f.findings.map((d, i) => ({
      description: d.message,
      check_name: d.rule,
      // (GitLab compares reports by it: the path too, so that findings alike in two files differ; MD5 as its examples)
      fingerprint: createHash('md5').update(`${f.path}\u0000${prints[i]}`).digest('hex'),
      severity: severity(d.severity),
      location: { path: f.path, lines: { begin: d.range.start.line + 1, end: d.range.end.line + 1 } },
    }));
  });
}

export function formatGitlab(run: LintRun): string {
  return JSON.stringify(toGitlab(run), null, 2);
}
