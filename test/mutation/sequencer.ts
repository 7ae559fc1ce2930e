/**
 * The order of test files in a mutation run (vitest.mutation.config.ts). Stryker stops a
 * mutant's run at its first failing test (bail), so the files most likely to fail soonest go
 * first: the file that failed in the previous run (mutants of one place are tested one after
 * another, and the file that killed one usually kills the next), then the quicker files, by
 * how long each took the first time it ran. Vitest's own order (longest first) suits a full
 * run on many workers, not a run that stops at the first failure.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class QuickestFirst extends BaseSequencer {
  /** Each file's duration the first time it ran whole: later runs of a mutant run only some of its tests. */
  readonly #firstDuration = new Map<string, number>();

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const key = (spec: TestSpecification): string =>
      `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
    const order = files.map((spec) => {
      const cached = this.ctx.cache.getFileTestResults(key(spec));
      if (cached && !this.#firstDuration.has(key(spec))) this.#firstDuration.set(key(spec), cached.duration);
      return { spec, failed: cached?.failed === true, duration: this.#firstDuration.get(key(spec)) ?? 0 };
    });
    order.sort((a, b) => Number(b.failed) - Number(a.failed) || a.duration - b.duration);
    return order.map(({ spec }) => spec);
  }
}
