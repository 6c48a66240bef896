/**
 * `pnpm test`: brings up the real servers the suites need, runs lint, typecheck and every
 * package's tests through turbo, then prints one honest summary line (and what was skipped).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const workspaces = ['packages', 'components', 'apps', 'tooling'];
const passthrough = process.argv.slice(2);

function run(command: string, args: string[]): number {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

function packageDirs(): string[] {
  return workspaces.flatMap((group) => {
    const dir = path.join(root, group);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => path.join(dir, name))
      .filter((p) => existsSync(path.join(p, 'package.json')));
  });
}

const resultFile = (dir: string) => path.join(dir, '.vitest', 'results.json');
for (const dir of packageDirs()) rmSync(path.dirname(resultFile(dir)), { recursive: true, force: true });

if (run('bash', ['tooling/services/up.sh']) !== 0) {
  console.error('test: the test servers could not be started (tooling/services/up.sh)');
  process.exit(1);
}

const docs = run(process.execPath, ['tooling/scripts/docs.ts', '--check']);
const checks = run('pnpm', ['exec', 'turbo', 'run', 'lint', 'typecheck', '--output-logs=errors-only']) || docs;
const tests = run('pnpm', [
  'exec',
  'turbo',
  'run',
  'test',
  '--continue',
  '--',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=.vitest/results.json',
  ...passthrough,
]);

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedTests: string[] = [];
// Named again at the very end, so the last lines of a long CI log say what broke and why.
const failures: string[] = [];
/** The error's first line, with the next one when the first only names the error class ("Error:"). */
function firstLine(text: string | undefined): string {
  const lines = (text ?? '').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const head = /^\w*Error:?$/.test(lines[0] ?? '') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? '');
  return head.slice(0, 300);
}
const withoutResults: string[] = [];
for (const dir of packageDirs()) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
  if (!manifest.scripts?.['test']) continue;
  if (!existsSync(resultFile(dir))) {
    withoutResults.push(manifest.name);
    continue;
  }
  const report = JSON.parse(readFileSync(resultFile(dir), 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: {
      name: string;
      status: string;
      message?: string;
      assertionResults: { fullName: string; status: string; failureMessages?: string[] }[];
    }[];
  };
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults) {
    const relative = path.relative(dir, file.name);
    if (file.status === 'failed' && file.message) {
      failures.push(`${manifest.name} ${relative}: ${firstLine(file.message)}`);
      // A file that failed outside its tests (an import, a top-level await or an afterAll threw)
      // counts as one failure when none of its tests is already counted.
      if (!file.assertionResults.some((test) => test.status === 'failed')) failed += 1;
    }
    for (const test of file.assertionResults) {
      if (test.status === 'failed') {
        failures.push(`${manifest.name} ${relative} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
      }
      if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
        skippedTests.push(`${manifest.name}: ${test.fullName}${file.status === 'failed' && file.message ? ' (not run: its file failed)' : ''}`);
      }
    }
  }
}

console.log('');
console.log(`lint + typecheck + generated docs: ${checks === 0 ? 'ok' : 'FAILED'}`);
if (withoutResults.length > 0) console.log(`packages whose tests did not report: ${withoutResults.join(', ')}`);
console.log(`skipped: ${skippedTests.length === 0 ? 'nothing' : ''}`);
for (const name of skippedTests) console.log(`  - ${name}`);
if (failures.length > 0) console.log('failed:');
for (const failure of failures) console.log(`  - ${failure}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(checks !== 0 || tests !== 0 || failed > 0 || withoutResults.length > 0 ? 1 : 0);
