// Node flags the language server is started with (the VS Code client's execArgv, the command the
// README gives other editors, npm run bench's processes). V8 reads them only when the process
// starts: runtime.ts's setFlagsFromString, run later, has no effect on these. No side effects
// here: the client imports this module.
//
// - `--max-semi-space-size=8` (MB; V8's default is 16 on a 64-bit machine): the young generation,
//   where a re-lint's short-lived objects are made, is let grow to half of what it would be. Each
//   re-lint keeps what it found (model, findings) until the next, so the young space grows to its
//   limit and stays committed: on the bench, peak RSS over 42 re-lints was 305–310 MB at 16, 283
//   at 8, 287 at 4 and 272 at 2, for re-lint medians of 74, 76, 76.5 and 86 ms (this 2-CPU VM).
// - `--v8-pool-size=1`: one V8 worker thread (Node's default is 4, whatever the number of CPUs) for
//   the garbage collector's parallel and concurrent work and background compilation. Each
//   thread keeps its own buffers and stack: on the bench (this 2-CPU VM), peak RSS of a lint and
//   its re-lints was 279–280 MB with the default and 269 MB with 1 (two alternated runs each),
//   the same findings; the lint's time did not tell them apart on the loaded machine.
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--v8-pool-size=1'];
