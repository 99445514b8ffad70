import { KeelError } from '@keel/core';
import type { Declaration } from './declaration.js';

/** Two sections whose keys map to one environment variable: `E_CONFIG_CONFLICT`. */
export function findConflicts(declarations: readonly Declaration[]): KeelError | undefined {
  const owners = new Map<string, Declaration>();
  for (const declaration of declarations) {
    for (const field of declaration.fields) {
      const other = owners.get(field.env);
      if (other !== undefined) {
        return new KeelError(
          'E_CONFIG_CONFLICT',
          `Sections "${other.name}" and "${declaration.name}" both claim ${field.env}. ` +
            `Give one of them another prefix in Config.define(name, { prefix }), or rename the key.`,
          { details: { key: field.env, sections: [other.name, declaration.name] } },
        );
      }
      owners.set(field.env, declaration);
    }
  }
  return undefined;
}
