// Kept for `npm run smoke` and older instructions: the browser tests now live
// in run.mjs (the walking-skeleton smoke checks are its first section).
//
//   cd ui && npm run build && node tests/browser/run.mjs
import "./run.mjs";
