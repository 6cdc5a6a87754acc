/**
 * The playground page: the editor (editor.ts), the summary table of `cnnc summary` and the diagram of
 * `cnnc diagram` for the chosen model, updated as one types; the model and example menu; sharing
 * through the URL fragment; and training on MNIST in a worker (worker.ts) with a live chart.
 */
import {
  defaultCollapsed,
  diagramModel,
  engine as diagramEngine,
} from '../../compiler/diagram/index.js';
import type { Analysis } from '../../compiler/lsp/analysis.js';
import type { CompiledModel } from '../../compiler/program.js';
import { summaryTable } from '../../compiler/report/summary.js';
import { hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { SourceFile, sourceMapOf } from '../../compiler/diagnostics/source-file.js';
import { SAMPLES, sampleText } from './compile.js';
import { createEditor } from './editor.js';
import type { FromWorker, TestDigit, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const DEFAULT = 'examples/lenet5.cnn';

/** `#src=…`: the source, UTF-8, base64url. */
function fromFragment(): string | undefined {
  const m = /^#src=([A-Za-z0-9_-]*)$/.exec(location.hash);
  if (!m) return undefined;
  try {
    const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function toFragment(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `#src=${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

const examples = $<HTMLSelectElement>('examples');
const modelSelect = $<HTMLSelectElement>('model');
const status = $('status');

for (const name of SAMPLES) examples.add(new Option(name, name));
const shared = fromFragment();
examples.value = shared === undefined ? DEFAULT : '';

let latest: Analysis | undefined;

function chosenModel(a: Analysis): CompiledModel | undefined {
  const models = a.result.models;
  return models.find((m) => m.graph.model === modelSelect.value) ?? models[models.length - 1];
}

function show(a: Analysis): void {
  latest = a;
  const names = a.result.models.map((m) => m.graph.model);
  const before = modelSelect.value;
  modelSelect.replaceChildren(...names.map((n) => new Option(n, n)));
  modelSelect.value = names.includes(before) ? before : (names[names.length - 1] ?? '');
  const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = a.diagnostics.filter((d) => d.severity === 'warning').length;
  status.textContent =
    errors + warnings === 0 ? 'no problems' : `${errors} error(s), ${warnings} warning(s)`;
  status.dataset.errors = String(errors);
  const m = chosenModel(a);
  const summary = $('summary');
  const diagram = $('diagram');
  if (!m || !m.summary) {
    summary.textContent = m ? 'no summary: the model has errors' : 'no model in this file';
    diagram.replaceChildren();
    return;
  }
  summary.textContent = summaryTable(
    { ...m, summary: m.summary },
    sourceMapOf([...a.result.sources].map(([p, t]) => new SourceFile(p, t))),
    { explain: false },
  );
  const dm = diagramModel({ graph: m.graph, summary: m.summary, env: m.env }, a.result.sources);
  const layout = diagramEngine.layout(dm, defaultCollapsed(diagramEngine, dm));
  diagram.innerHTML = diagramEngine.svg(dm, layout);
  trainButton.disabled = running || hasErrors(m.diagnostics);
}

const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
const downloadButton = $<HTMLButtonElement>('download');
let running = false;

const editor = createEditor($('editor'), shared ?? sampleText(DEFAULT) ?? '', show);

examples.addEventListener('change', () => {
  const text = sampleText(examples.value);
  if (text !== undefined) editor.setText(text);
});
modelSelect.addEventListener('change', () => latest && show(latest));
$('share').addEventListener('click', () => {
  history.replaceState(null, '', toFragment(editor.view.state.doc.toString()));
  void navigator.clipboard?.writeText(location.href).catch(() => {});
});

// ------------------------------------------------------------------ training

interface Point {
  readonly step: number;
  readonly value: number;
}
const losses: Point[] = [];
const accuracies: Point[] = [];
const testAccuracies: Point[] = [];

function drawChart(): void {
  const canvas = $<HTMLCanvasElement>('chart');
  const g = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  g.font = '11px sans-serif';
  const last = Math.max(1, ...losses.map((p) => p.step));
  const maxLoss = Math.max(0.5, ...losses.map((p) => p.value));
  const x = (s: number) => 30 + ((w - 40) * s) / last;
  const line = (pts: Point[], y: (v: number) => number, color: string) => {
    g.strokeStyle = color;
    g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(x(p.step), y(p.value)) : g.moveTo(x(p.step), y(p.value))));
    g.stroke();
  };
  g.strokeStyle = '#ccd';
  g.strokeRect(30, 10, w - 40, h - 30);
  line(losses, (v) => 10 + (h - 30) * (1 - v / maxLoss), '#c0392b');
  line(accuracies, (v) => 10 + (h - 30) * (1 - v), '#2471a3');
  line(testAccuracies, (v) => 10 + (h - 30) * (1 - v), '#1e8449');
  g.fillStyle = '#333';
  g.fillText(`loss (max ${maxLoss.toFixed(2)})`, 34, 22);
  g.fillStyle = '#2471a3';
  g.fillText('train accuracy', 150, 22);
  g.fillStyle = '#1e8449';
  g.fillText('test accuracy', 250, 22);
  g.fillStyle = '#333';
  g.fillText(`step ${last}`, w - 70, h - 6);
}

function drawDigits(digits: readonly TestDigit[]): void {
  $('digits').replaceChildren(
    ...digits.map((d) => {
      const box = document.createElement('div');
      box.className = `digit${d.label === d.predicted ? '' : ' wrong'}`;
      const c = document.createElement('canvas');
      c.width = c.height = 28;
      const img = new ImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const v = 255 - d.pixels[i];
        img.data.set([v, v, v, 255], i * 4);
      }
      c.getContext('2d')!.putImageData(img, 0, 0);
      const label = document.createElement('span');
      label.textContent = `${d.predicted}`;
      label.title = `label ${d.label}, predicted ${d.predicted}`;
      box.append(c, label);
      return box;
    }),
  );
}

/** Every progress report, for tests and the console: `cnncPlayground.progress`. */
const trainLog: { step: number; loss: number; accuracy: number }[] = [];
(globalThis as { cnncPlayground?: unknown }).cnncPlayground = { progress: trainLog };

let worker: Worker | undefined;
const send = (m: ToWorker) => worker?.postMessage(m);

function onWorker(m: FromWorker): void {
  const trainStatus = $('train-status');
  switch (m.type) {
    case 'ready':
      $('backend').textContent = `backend: ${m.backend}`;
      $('backend').dataset.backend = m.backend;
      trainStatus.textContent = 'loading MNIST…';
      break;
    case 'progress':
      trainLog.push({ step: m.step, loss: m.loss, accuracy: m.accuracy });
      losses.push({ step: m.step, value: m.loss });
      accuracies.push({ step: m.step, value: m.accuracy });
      trainStatus.textContent = `epoch ${m.epoch} · step ${m.step} · loss ${m.loss.toFixed(3)} · train accuracy ${(m.accuracy * 100).toFixed(1)}% · ${Math.round(m.imagesPerSecond)} images/s`;
      trainStatus.dataset.step = String(m.step);
      trainStatus.dataset.loss = String(m.loss);
      drawChart();
      break;
    case 'test': {
      testAccuracies.push({ step: m.step, value: m.accuracy });
      const t = $('test-accuracy');
      t.textContent = `test accuracy ${(m.accuracy * 100).toFixed(1)}% on ${m.count} digits (step ${m.step})`;
      t.dataset.accuracy = String(m.accuracy);
      t.dataset.step = String(m.step);
      drawDigits(m.digits);
      drawChart();
      break;
    }
    case 'stopped':
      setRunning(false, true);
      $('train-status').textContent += ' · stopped';
      break;
    case 'checkpoint': {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(
        new Blob([m.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
      );
      a.download = m.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      break;
    }
    case 'error':
      setRunning(false, false);
      trainStatus.textContent = `error: ${m.message}`;
      break;
  }
}

let resumable = false;

function setRunning(on: boolean, canResume: boolean): void {
  running = on;
  resumable = canResume;
  trainButton.textContent = !on && canResume ? 'Resume' : 'Train';
  trainButton.disabled = on;
  stopButton.disabled = !on;
  downloadButton.disabled = !canResume && !on;
}

const testLine = document.createElement('div');
testLine.id = 'test-accuracy';
$('digits').before(testLine);

trainButton.addEventListener('click', () => {
  if (resumable) {
    setRunning(true, true);
    send({ type: 'resume' });
    return;
  }
  const a = editor.analysis();
  const m = chosenModel(a);
  if (!m || hasErrors(a.diagnostics)) return;
  losses.length = accuracies.length = testAccuracies.length = 0;
  worker ??= new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  const backend = new URLSearchParams(location.search).get('backend') ?? undefined;
  setRunning(true, true);
  $('train-status').textContent = 'starting…';
  send({
    type: 'start',
    graph: m.graph,
    source: a.result.sources.get(m.graph.file) ?? a.text,
    backend,
  });
});
stopButton.addEventListener('click', () => send({ type: 'stop' }));
downloadButton.addEventListener('click', () => send({ type: 'checkpoint' }));
// A new model text starts a new run: Train, not Resume.
editor.view.dom.addEventListener('input', () => {
  if (!running && resumable) setRunning(false, false);
});

document.body.dataset.ready = 'true';
performance.mark('cnnc-first-render');
