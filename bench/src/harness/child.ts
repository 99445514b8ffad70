import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The marker before the JSON result on a child's stdout. */
export const RESULT_MARKER = '@@keel-bench-result ';

/** A job for a child process: a scenario name and its JSON arguments. */
export interface ChildJob {
  readonly scenario: string;
  readonly args: Record<string, unknown>;
}

/** What a child reported, and how long the whole process lived as the parent saw it. */
export interface ChildOutcome<T> {
  readonly result: T;
  readonly wallMs: number;
}

const ENTRY = fileURLToPath(new URL('../child-main.js', import.meta.url));
const OVERRIDE = new URL('./core-override.js', import.meta.url).href;

/** Node flags of every child: GC access for memory figures, and the optional core override. */
function childFlags(): string[] {
  const flags = ['--expose-gc'];
  if ((process.env['KEEL_BENCH_CORE'] ?? '') !== '') flags.push('--import', OVERRIDE);
  return flags;
}

/**
 * Runs `job` in a fresh `node --expose-gc` process (so imports are cold and memory figures
 * belong to the job alone) and returns the JSON it printed after {@link RESULT_MARKER}.
 */
export function runInChild<T>(job: ChildJob, timeoutMs = 120_000): Promise<ChildOutcome<T>> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, [...childFlags(), ENTRY, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const verbose = process.env['KEEL_BENCH_VERBOSE'] === '1';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (verbose) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - began;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(
            `bench child ${job.scenario} ${JSON.stringify(job.args)} failed (code ${code}, signal ${signal}):\n${stderr || stdout}`,
          ),
        );
        return;
      }
      resolve({ result: JSON.parse(line.slice(RESULT_MARKER.length)) as T, wallMs });
    });
  });
}
