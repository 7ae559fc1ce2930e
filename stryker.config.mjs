// Mutation testing (npm run test:mutation): Stryker changes one operator, condition or
// constant at a time in the files below and runs the in-process tests that cover it; a
// mutant the tests do not notice ("survived") is a rule no test would catch if it broke.
// The report is written to reports/mutation/ (HTML and JSON).
// `incremental` keeps the results of unchanged code and tests in reports/ between runs;
// pass --force for a full run.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  // Mutants that do not type-check are dropped before any test runs.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  disableTypeChecks: '{src,test}/**/*.ts',
  coverageAnalysis: 'perTest',
  // A "static" mutant is one whose code also runs while modules load (module constants, and
  // anything a test file computes outside its tests, such as a shared genesis block). Without
  // this option each such mutant runs the whole test set with every module reloaded: 13% of
  // the mutants, 75% of the time (98 minutes for one run). With it, a mutant that tests also
  // cover runs just those tests; one that only module loading reaches (a constant's
  // expression, a module-level regex) is reported as Ignored. The gate keeps them.
  ignoreStatic: true,
  mutate: [
    'src/primitives/**/*.ts',
    // Block tree, rules, ASERT, ledger, waiting room, orphan pool, locator: all of consensus.
    'src/consensus/**/*.ts',
    'src/net/messages.ts',
    'src/net/peers.ts',
    'src/net/address.ts',
    'src/net/address-token.ts',
    'src/store/**/*.ts',
    'src/hashing/pow-check.ts',
    'src/hashing/verify.ts',
  ],
  // Four processes on two cores: two type-checkers and two test runners, then four runners once
  // the checking is done. A mutant's run waits on its worker thread and module loading much of
  // the time, so two runners left a third of the CPU idle; on 645 mutants four took 218 s where
  // two took 279 s (six: 232 s). Pass --concurrency 1 on a machine busy with other work.
  concurrency: 4,
  // A mutant whose tests run longer than 1.5 times their first run plus this is reported as
  // Timeout (detected: mostly a loop that no longer ends). Each one also costs a restart of
  // the test runner, so the margin is Stryker's default rather than a generous one.
  timeoutMS: 5_000,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowEmojis: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Built output and other tools' files are not needed in the sandbox (build/ is: the WASM engines load it).
  ignorePatterns: ['/dist', '/reports', '/.vitest-cache', '/bench', '/web', '/assembly'],
};

export default config;
