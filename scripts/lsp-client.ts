/**
 * A small Language Server Protocol client: spawns `node [OPTIONS] CLI lsp --stdio` and speaks JSON-RPC to it
 * over stdin/stdout (Content-Length framing), as an editor would. The tests of cnnc lsp and the
 * keystroke figure of `npm run bench` use it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

interface Message {
  readonly jsonrpc: '2.0';
  readonly id?: number;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { code: number; message: string };
}

type Listener = (params: unknown) => void;

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Map<string, Listener[]>();
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  /** `nodeOptions`: options for node itself, before the script (`--max-semi-space-size=64`). */
  constructor(cli: string, cwd: string, nodeOptions: readonly string[] = []) {
    this.child = spawn(process.execPath, [...nodeOptions, cli, 'lsp', '--stdio'], { cwd });
    this.child.stdout.on('data', (d: Buffer) => this.read(d));
    this.child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  private read(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`bad header ${header}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.id !== undefined && msg.method === undefined) {
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.error) w?.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
      else w?.resolve(msg.result);
      return;
    }
    if (msg.method === undefined) return;
    if (msg.id !== undefined) {
      // A request from the server (e.g. workspace/configuration): answer with nothing.
      this.write({ jsonrpc: '2.0', id: msg.id, result: null });
      return;
    }
    for (const l of this.listeners.get(msg.method) ?? []) l(msg.params);
  }

  private write(msg: Message): void {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request<T = unknown>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  on(method: string, listener: Listener): () => void {
    const list = this.listeners.get(method) ?? [];
    list.push(listener);
    this.listeners.set(method, list);
    return () => list.splice(list.indexOf(listener), 1);
  }

  /** The next notification `method` whose params satisfy `match`. */
  next<T>(method: string, match: (p: T) => boolean = () => true): Promise<T> {
    return new Promise((resolve) => {
      const off = this.on(method, (p) => {
        if (match(p as T)) {
          off();
          resolve(p as T);
        }
      });
    });
  }

  async initialize(): Promise<unknown> {
    const r = await this.request('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
    });
    this.notify('initialized', {});
    return r;
  }

  async shutdown(): Promise<number | null> {
    await this.request('shutdown', null);
    this.notify('exit', null);
    return this.exited;
  }

  kill(): void {
    this.child.kill();
  }
}
