// Loaded before every test file (scripts/test.mjs): the Maps and Sets of a saved replay state
// refuse writes, and a write to a shared object fails the replay instead of skipping its
// statement, so a write the model's replay makes without owning its object fails a test.
import { guardSharedState } from '../../server/src/analysis/model.js';
import { guardMoves } from '../../server/src/analysis/parse.js';

guardSharedState();
guardMoves();
