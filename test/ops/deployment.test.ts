/**
 * The deployment examples, checked without deploying: the Dockerfile and the systemd unit of
 * docs/operations.md. No Docker engine runs here, so the Dockerfile is checked for what can be checked without one:
 * multi-stage, every COPY source exists (and is not excluded by .dockerignore), what the final
 * stage takes from the build stage is produced there, the command it runs exists, a HEALTHCHECK
 * on /health, a non-root USER, and a VOLUME holding DATABASE_PATH.
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

function parse(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)!.push({ keyword: keyword.toUpperCase(), args: args.trim() });
  }
  return stages;
}

/** `COPY [--from=x] a b ./dest` → { from, sources, dest } */
function copy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

function execForm(args: string): string[] {
  return JSON.parse(args.replace(/^CMD\s+/, '')) as string[];
}

const stages = parse(read('Dockerfile'));
const final = stages.at(-1)!;
const build = stages[0];
const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('is multi-stage on Node 22 (the version package.json requires)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build[0].args).toMatch(/^node:22[\w.-]* AS build$/);
    expect(final[0].args).toMatch(/^node:22[\w.-]*$/);
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=22.18');
  });

  it('copies only paths that exist in the repository and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = stages.flat().filter((i) => i.keyword === 'COPY').map((i) => copy(i.args)).filter((c) => !c.from).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(`${root}${source}`), source).toBe(true);
      const top = source.split('/')[0];
      expect(ignored.filter((pattern) => pattern === top || (pattern.startsWith('*') && top.endsWith(pattern.slice(1)))), source).toEqual([]);
    }
  });

  it('takes from the build stage only what that stage copies or produces', () => {
    const workdir = all(build, 'WORKDIR').at(-1)!.args;
    const copiedThere = all(build, 'COPY').flatMap((i) => {
      const c = copy(i.args);
      return c.dest.endsWith('/') && c.sources.length > 1 ? c.sources : c.dest === './' ? c.sources : [posix.normalize(c.dest)];
    });
    const outDir = /"outDir":\s*"([^"]+)"/.exec(read('tsconfig.build.json'))![1];
    const runs = all(build, 'RUN').map((i) => i.args).join(' && ');
    const produced = [...copiedThere, ...(runs.includes('npm ci') ? ['node_modules'] : []), ...(runs.includes('npm run build') ? [outDir] : [])];
    for (const { from, sources } of all(final, 'COPY').map((i) => copy(i.args)).filter((c) => c.from)) {
      expect(from).toBe('build');
      for (const source of sources) expect(produced, source).toContain(posix.relative(workdir, source));
    }
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    for (const [, script] of runs.matchAll(/npm run (\S+)/g)) expect(scripts[script], `npm run ${script}`).toBeDefined();
  });

  it('runs bin/tutorboard serve, which the image has, on the built JavaScript (no sources in the image)', () => {
    const [cmd] = all(final, 'CMD');
    const [program, script, command] = execForm(cmd.args);
    expect(program).toBe('node');
    expect(existsSync(`${root}${script}`)).toBe(true);
    expect(all(final, 'COPY').map((i) => copy(i.args)).some((c) => !c.from && c.sources.includes(script.split('/')[0]))).toBe(true);
    expect(command).toBe('serve');
    // bin/tutorboard runs dist/ when there is no src/cli.ts beside it: the final stage copies no src.
    expect(all(final, 'COPY').map((i) => copy(i.args)).flatMap((c) => c.sources).filter((s) => s.includes('src'))).toEqual([]);
    expect(read('bin/tutorboard')).toContain("'../dist/src/cli.js'");
    expect(existsSync(`${root}src/cli.ts`)).toBe(true);
  });

  it('checks /health, runs as a non-root user, and keeps DATABASE_PATH on a volume that user owns', () => {
    const [health] = all(final, 'HEALTHCHECK');
    expect(health.args).toMatch(/\/health/);
    const user = all(final, 'USER').at(-1)!.args;
    expect(['root', '0', '0:0']).not.toContain(user);
    const keywords = final.map((i) => i.keyword);
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
    const env = all(final, 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    const databasePath = /DATABASE_PATH=(\S+)/.exec(env)![1];
    const volumes = all(final, 'VOLUME').flatMap((i) => JSON.parse(i.args) as string[]);
    expect(volumes).toContain(posix.dirname(databasePath));
    expect(all(final, 'RUN').map((i) => i.args).join(' ')).toContain(`chown ${user}:${user} ${posix.dirname(databasePath)}`);
  });
});

describe('the systemd unit in docs/operations.md', () => {
  const block = /```ini\n(# \/etc\/systemd\/system\/tutorboard\.service[\s\S]*?)```/.exec(read('docs/operations.md'))![1];
  const settings = block.split('\n').filter((line) => /^\w+=/.test(line)).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]);
  const values = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);

  it('sets WorkingDirectory, NODE_ENV=production, the secret through an EnvironmentFile and a stop timeout above SHUTDOWN_TIMEOUT_MS', () => {
    expect(values('WorkingDirectory')).toEqual(['/opt/tutorboard']);
    const environment = values('Environment').join(' ');
    expect(environment).toMatch(/\bNODE_ENV=production\b/);
    expect(environment).not.toMatch(/JWT_SECRET/);
    expect(values('EnvironmentFile')).toHaveLength(1);
    const shutdownMs = Number(/SHUTDOWN_TIMEOUT_MS=(\d+)/.exec(environment)![1]);
    expect(Number(values('TimeoutStopSec')[0]) * 1000).toBeGreaterThan(shutdownMs);
    const databasePath = /DATABASE_PATH=(\S+)/.exec(environment)![1];
    expect(posix.dirname(databasePath)).toBe(`/var/lib/${values('StateDirectory')[0]}`);
  });

  it('starts the installed package with an absolute Node path', () => {
    const [node, script, command] = values('ExecStart')[0].split(' ');
    expect(node).toMatch(/^\/\S+\/node$/);
    expect(script).toBe(`${values('WorkingDirectory')[0]}/node_modules/tutorboard/bin/tutorboard`);
    expect(JSON.parse(read('package.json')).files).toContain('bin/tutorboard');
    expect(command).toBe('serve');
  });
});
