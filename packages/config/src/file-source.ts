import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { KeelError } from '@keel/core';
import { parseDocument } from 'yaml';

/** A parsed configuration file: one object per section name. */
export type FileValues = Readonly<Record<string, unknown>>;

/**
 * Reads a JSON or YAML file (by extension; YAML when unsure). A parse error names the
 * file, line and column; a missing file is `undefined` when optional.
 */
export function readConfigFile(path: string, optional: boolean): FileValues | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeelError(
      'E_CONFIG_FILE',
      `Config file ${path} cannot be read: ${(err as Error).message}. Fix the path in ConfigModule.configure({ file }).`,
      { cause: err, details: { file: path } },
    );
  }
  const parsed =
    extname(path).toLowerCase() === '.json' ? parseJson(path, text) : parseYaml(path, text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KeelError(
      'E_CONFIG_FILE',
      `Config file ${path} must hold an object with one entry per section (e.g. { "db": { … } }), not ${Array.isArray(parsed) ? 'an array' : typeof parsed}.`,
      { details: { file: path } },
    );
  }
  return parsed as FileValues;
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    const { line, column } = position(text, message);
    throw new KeelError(
      'E_CONFIG_FILE',
      `Config file ${path} is not valid JSON at line ${line}, column ${column}: ${message}`,
      { cause: err, details: { file: path, line, column } },
    );
  }
}

/** Line and column of a JSON.parse error: from "(line L column C)", else "position N", else the end. */
function position(text: string, message: string): { line: number; column: number } {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc !== null) return { line: Number(lc[1]), column: Number(lc[2]) };
  const at = /position (\d+)/.exec(message);
  const offset = at === null ? text.length : Math.min(Number(at[1]), text.length);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

function parseYaml(path: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0].line ?? 1;
    const column = error.linePos?.[0].col ?? 1;
    throw new KeelError(
      'E_CONFIG_FILE',
      `Config file ${path} is not valid YAML at line ${line}, column ${column}: ${error.message.split(' at line ')[0]}`,
      { cause: error, details: { file: path, line, column } },
    );
  }
  return doc.toJS() as unknown;
}
