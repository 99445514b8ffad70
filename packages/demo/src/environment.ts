/**
 * Where the demo reads its settings from: `process.env` by default. A class, so a test can
 * replace it with `{ provide: Environment, useValue: Environment.of({ ... }) }`.
 */
export class Environment {
  private values: Readonly<Record<string, string | undefined>> = process.env;

  /** An environment with fixed values (for tests). */
  static of(values: Readonly<Record<string, string | undefined>>): Environment {
    const env = new Environment();
    env.values = values;
    return env;
  }

  /** The variable's value, or `undefined` when it is unset or empty. */
  get(name: string): string | undefined {
    const value = this.values[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }
}
