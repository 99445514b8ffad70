/**
 * Scenario 7 (issue 19): the import of a framework in a fresh process, on its own: `@keel/core`
 * against what a tsyringe app imports (`reflect-metadata` + `tsyringe`). Meant for one child
 * process per sample; the clock starts right before the first import.
 */
export type ImportContender = 'keel' | 'tsyringe';

export interface ImportArgs {
  contender: ImportContender;
}

export interface ImportResult {
  importMs: number;
}

export async function importScenario(args: ImportArgs): Promise<ImportResult> {
  const t0 = performance.now();
  if (args.contender === 'keel') {
    await import('@keel/core');
  } else {
    await import('reflect-metadata');
    await import('tsyringe');
  }
  return { importMs: performance.now() - t0 };
}
