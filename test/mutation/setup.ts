/**
 * Setup of the mutation test set (vitest.mutation.config.ts), run before each test file.
 * A mutant needs one failing run of a property, not a minimal counterexample: fast-check
 * stops at the first failure instead of shrinking it (shrinking a mutant's failure can take
 * longer than the whole test). Its seed is fixed, so a mutant is killed or survives the same
 * way in every run (the incremental report depends on it). `npm test` keeps fast-check's
 * defaults: random seeds, and shrinking for a readable counterexample.
 */
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true, seed: 20_240_501 });
