// @ts-check
/**
 * The layers of packages/core/src, bottom first (docs/architecture.md). A file may import
 * its own layer and the layers below it, never one above: `npm run lint` fails on a
 * back-import (test/architecture/layers.test.ts proves it does).
 *
 * Each layer lists its folders, and the files of a higher folder it may still import:
 * specs that live beside the work they describe (the compile-once step moves them down).
 */
const LAYERS = [
  { name: 'util', folders: ['util'] },
  { name: 'errors', folders: ['errors'] },
  { name: 'time', folders: ['time'] },
  {
    name: 'specs',
    folders: ['decorators', 'graph', 'container', 'jobs', 'failure'],
    allow: [
      'events/event-key.js',
      'events/hook-options.js',
      'tasks/declared-task.js',
      'workers/restart-policy.js',
      'fleet/fleet-provider.js',
    ],
  },
  { name: 'work interfaces', folders: ['work'] },
  { name: 'work', folders: ['workers', 'tasks', 'microtasks', 'events'] },
  { name: 'lifecycle', folders: ['lifecycle', 'fleet'] },
  { name: 'context', folders: ['context'] },
  { name: 'kernel', folders: ['kernel', 'logging'] },
];

const escape = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Kept for every core file: the rule below replaces the root config's settings. */
const TSYRINGE = {
  name: 'tsyringe',
  importNames: ['singleton', 'registry', 'autoInjectable'],
  message: 'No global registration: the kernel owns its container.',
};

/** One flat-config block per layer, for packages/core/src. */
export const layerRules = LAYERS.map((layer, i) => {
  const above = LAYERS.slice(i + 1).flatMap((l) => l.folders);
  const allowed = (layer.allow ?? []).map(escape);
  const except = allowed.length === 0 ? '' : `(?!(?:${allowed.join('|')})$)`;
  const patterns =
    above.length === 0
      ? []
      : [
          {
            regex: `^(?:\\.\\./)+${except}(?:${above.join('|')})/`,
            message: `Layer "${layer.name}" may not import a layer above it (${above.join(', ')}): see docs/architecture.md.`,
          },
        ];
  return {
    files: layer.folders.map((f) => `packages/core/src/${f}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { paths: [TSYRINGE], patterns }] },
  };
});
