// V8 settings of the language server process, applied when this module is evaluated: lsp/main.ts
// imports it first, before libpg-query (which starts compiling its WebAssembly on import). The
// server is long-running and holds a workspace's ASTs and model; these trade CPU for a smaller
// footprint (npm run bench measures the engine with them, as the server runs it; figures from
// this 2-CPU VM):
// - `--liftoff-only`: V8 compiles the parser's WebAssembly with its baseline compiler only.
//   The optimising tier-up of libpg-query keeps ≈ 40 MB of code and compiler memory resident
//   for the life of the process; parsing stays about as fast (the bench workspace's 98,518
//   lines parse in 1.2–1.6 s either way).
// - `--heap-growing-percent=20`: after each full garbage collection V8 lets the heap grow to a
//   multiple of what is live before collecting again, up to 4× for a fast-allocating program;
//   every re-lint allocates a new model and findings, so 170 MB live became 570 MB resident.
//   At 20 % the bench's peak is 340–390 MB, for ≈ 35 % more time per re-lint (≈ 120 → 160 ms)
//   and ≈ 8 % on the first lint. 25–50 % saved far less (peaks of 380–530 MB). The flag is
//   read at startup only: set later, it does not change the limits V8 has already computed.
import { setFlagsFromString } from 'node:v8';

for (const flag of ['--liftoff-only', '--heap-growing-percent=20']) setFlagsFromString(flag);
