/**
 * The package as a user gets it: `npm pack`, then in an empty folder `npm install ./tutorboard-*.tgz`,
 * `npx tutorboard serve` and `npx tutorboard token`, `tutorboard/client` imported by Node 22, and a
 * front-end file (DOM types only, no Node types) type-checked against it with this project's tsc.
 * The slowest test: it builds, packs and installs (the npm registry must be reachable).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { withTimeout } from '../utils/waitFor.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
}

/** The front end of a user's app: browser types only. */
const frontEnd = `import { TutorChannelClient, type RoomMessage, type WelcomeMessage } from 'tutorboard/client';

const channel = new TutorChannelClient({
  url: \`ws://\${location.host}/ws/v2/session/demo\`,
  token: () => fetch('/api/token').then((r) => r.text()),
  reconnect: { initialDelayMs: 250 },
});
channel.on('welcome', (welcome: WelcomeMessage) => {
  document.title = \`\${welcome.userId} (\${welcome.role})\`;
});
channel.on('message', (message: RoomMessage) => {
  if (message.type === 'hint') document.body.append(\`\${message.from.userId}: \${String(message.text)}\`);
});
const queued: boolean = channel.send({ type: 'chat', text: 'hello' });
console.log(queued, channel.state);
`;

const frontEndConfig = {
  compilerOptions: {
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  include: ['main.ts'],
};

/** Node 22 imports the installed client and the server entry, and talks to the server. */
const nodeCheck = `import { TutorChannelClient } from 'tutorboard/client';
import * as server from 'tutorboard';
const channel = new TutorChannelClient({ url: process.env.URL, token: process.env.TOKEN });
channel.on('welcome', (welcome) => {
  console.log(JSON.stringify({ userId: welcome.userId, role: welcome.role, version: server.version, exports: Object.keys(server).sort() }));
  channel.close();
});
channel.on('close', ({ code, reconnecting }) => code !== 1000 && !reconnecting && process.exit(1));
`;

describe('the npm package', () => {
  it('packs, installs in an empty folder, serves, mints tokens, and its client works in Node and type-checks for a browser', async () => {
    const work = tempDir();
    // npm pack runs prepack (the tsc build into dist/).
    sh('npm', ['pack', '--pack-destination', work, '--silent'], root);
    const tarball = readdirSync(work).find((name) => /^tutorboard-.*\.tgz$/.test(name));
    expect(tarball).toBe(`tutorboard-${version}.tgz`);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball!)], app);
    expect(sh('npx', ['tutorboard', '--version'], app).trim()).toBe(version);

    // A token from the configured secret.
    const minted = sh('npx', ['tutorboard', 'token', '--sub', 'ada', '--session', 'demo', '--role', 'tutor'], app, { JWT_SECRET: testSecret }).trim();
    expect(new Authenticator({ secret: testSecret }).verify(minted)).toEqual({ userId: 'ada', sessionScope: 'demo', role: 'tutor' });

    // The server, in development mode (no secret): its own group, so SIGTERM reaches npx and the server.
    const port = Number(sh(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], app).trim());
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: '', NODE_ENV: '', LOG_PRETTY: '0' };
    const server = spawn('npx', ['tutorboard', 'serve'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    server.stdout!.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    server.stderr!.on('data', () => {});
    // 'close', not 'exit': npx may exit on the signal before the server it started has finished; the
    // pipes close only when both are gone.
    const exited = new Promise<number | null>((resolve) => server.once('close', (code) => resolve(code)));
    registerCleanup(async () => {
      try {
        process.kill(-server.pid!, 'SIGKILL'); // the group: npx and the server it started
      } catch {
        // already gone
      }
      await exited;
    });
    await withTimeout(
      (async () => {
        for (;;) {
          const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
          if (ok) return;
          await new Promise((resolve) => setTimeout(resolve, 100)); // polling the port a user would poll
        }
      })(),
      20_000,
      `/health of npx tutorboard serve (logs: ${logs})`,
    );
    expect(JSON.parse(logs.split('\n')[0])).toMatchObject({ event: 'starting', mode: 'development', version });

    // Run in the same folder, `token` finds the development secret that `serve` created.
    const devToken = sh('npx', ['tutorboard', 'token', '--sub', 'sam', '--session', 'demo'], app, { JWT_SECRET: '', NODE_ENV: '' }).trim();
    writeFileSync(join(app, 'check.mjs'), nodeCheck);
    const checked = JSON.parse(sh(process.execPath, ['check.mjs'], app, { URL: `ws://127.0.0.1:${port}/ws/v2/session/demo`, TOKEN: devToken }));
    expect(checked).toEqual({ userId: 'sam', role: 'student', version, exports: ['Authenticator', 'ConfigError', 'TutorboardServer', 'loadConfig', 'roles', 'version'] });

    // The README's tutor snippet, as written, against the installed package.
    const snippet = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes("import { TutorChannelClient } from 'tutorboard/client'"));
    writeFileSync(join(app, 'tutor.ts'), snippet!.replace('ws://localhost:1234', `ws://localhost:${port}`));
    const tutor = spawn(process.execPath, ['tutor.ts'], { cwd: app, env: { ...process.env, TOKEN: devToken }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tutorExited = new Promise((resolve) => tutor.once('exit', resolve));
    registerCleanup(async () => {
      if (tutor.exitCode === null && tutor.signalCode === null) tutor.kill('SIGKILL');
      await tutorExited;
    });
    let tutorOut = '';
    let tutorErr = '';
    tutor.stderr!.on('data', (chunk: Buffer) => (tutorErr += chunk.toString()));
    await withTimeout(
      new Promise<void>((resolve) => tutor.stdout!.on('data', (chunk: Buffer) => (tutorOut += chunk.toString()).includes('in demo as sam') && resolve())),
      10_000,
      `the README tutor snippet to join (stderr: ${tutorErr})`,
    );
    expect(tutorOut).toMatch(/^connected\nin demo as sam, 0 peer\(s\)\n/);
    tutor.kill('SIGTERM');

    process.kill(-server.pid!, 'SIGTERM');
    await withTimeout(exited, 15_000, 'npx tutorboard serve to stop on SIGTERM');
    expect(logs).toMatch(/"event":"shutdown_complete"/);

    // A front-end project type-checks against the installed package with DOM types only.
    const web = join(app, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'main.ts'), frontEnd);
    writeFileSync(join(web, 'tsconfig.json'), JSON.stringify(frontEndConfig));
    expect(sh(join(root, 'node_modules', '.bin', 'tsc'), ['-p', web], web)).toBe('');
    // ...and the check is real: a type error in the same file is reported.
    writeFileSync(join(web, 'main.ts'), `${frontEnd}\nchannel.send({ text: 'no type' });\n`);
    let report = '';
    try {
      sh(join(root, 'node_modules', '.bin', 'tsc'), ['-p', web], web);
    } catch (error) {
      report = String((error as { stdout?: string }).stdout);
    }
    expect(report).toMatch(/main\.ts\(\d+,\d+\): error TS\d+:.*'type'/);
  }, 120_000);
});
