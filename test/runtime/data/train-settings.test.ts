import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { NO_AUGMENT } from '../../../runtime/data/augment.js';
import { describeSettings, resolveSettings } from '../../../runtime/train/config.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

function graphWith(train: string): { graph: Graph; text: string } {
  const text = `model M {\n  input 8x8x3\n  flatten\n  dense 10\n  train { ${train} }\n}\n`;
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': text }));
  expect(r.models).toHaveLength(1);
  return { graph: r.models[0].graph, text };
}

describe('augmentation settings', () => {
  it('is off by default', () => {
    const { graph } = graphWith('epochs 1');
    expect(resolveSettings(graph).settings.augment).toBeNull();
  });

  it('reads every augmentation key from the train block', () => {
    const { graph } = graphWith(
      'flip both, rotation 15, zoom 0.2, translate 0.1, brightness 0.3, contrast 0.4, channel_shift 0.05, fill zero',
    );
    const r = resolveSettings(graph);
    expect(r.diagnostics).toEqual([]);
    expect(r.settings.augment).toEqual({
      flipHorizontal: true,
      flipVertical: true,
      rotation: 15,
      zoom: [0.8, 1.2],
      translate: 0.1,
      brightness: 0.3,
      contrast: 0.4,
      channelShift: 0.05,
      fill: 'zero',
    });
    expect(describeSettings(r.settings)).toMatch(
      /augment flip horizontal\+vertical rotation ±15° zoom 0\.8–1\.2 translate ±0\.1 brightness ±0\.3 contrast ±0\.4 channel shift ±0\.05,/,
    );
  });

  it('takes a zoom range from zoom_min and zoom_max, in either order', () => {
    const { graph } = graphWith('zoom_max 1.5 zoom_min 1.1');
    expect(resolveSettings(graph).settings.augment).toEqual({ ...NO_AUGMENT, zoom: [1.1, 1.5] });
  });

  it('lets flags override the block (--channel-shift, --flip none)', () => {
    const { graph } = graphWith('flip horizontal, rotation 10');
    const r = resolveSettings(graph, [
      ['flip', 'none'],
      ['channel-shift', 0.1],
    ]);
    expect(r.errors).toEqual([]);
    expect(r.settings.augment).toEqual({ ...NO_AUGMENT, rotation: 10, channelShift: 0.1 });
  });

  it.each([
    [
      'flip sideways',
      'CNN2005',
      /`flip` must be one of none, horizontal, vertical, both; found "sideways"/,
    ],
    ['rotation 200', 'CNN2005', /`rotation` must be in 0\.\.180; found 200/],
    ['zoom 1.5', 'CNN2005', /`zoom` must be in 0\.\.0\.9; found 1\.5/],
    ['translate x', 'CNN2005', /`translate` expects a number; found "x"/],
    ['brightness -1', 'CNN2005', /`brightness` must be in 0\.\.1; found -1/],
    ['fill mirror', 'CNN2005', /`fill` must be one of edge, zero; found "mirror"/],
    ['zoom_min 1.4, zoom_max 1.2', 'CNN2005', /`zoom_min` 1\.4 is above `zoom_max` 1\.2/],
    ['hue 0.1', 'CNN2002', /unknown training setting `hue`/],
    ['data "cifar10:"', 'CNN2005', /`data cifar10:` needs a folder after `cifar10:`/],
    [
      'data "imagenet"',
      'CNN2005',
      /`data` names an unknown source "imagenet": expected mnist, mnist-json, idx:DIR, cifar10:DIR, folder:DIR/,
    ],
  ])('reports `%s` as %s at its statement', (setting, code, message) => {
    const { graph, text } = graphWith(setting);
    const r = resolveSettings(graph);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0];
    expect(d.code).toBe(code);
    expect(d.message).toMatch(message);
    expect(d.span).toBeDefined();
    expect(text.slice(d.span!.start, d.span!.end)).toContain(
      setting.split(',').pop()!.trim().split(' ')[0],
    );
  });

  it.each([
    ['data', 'folder:images'],
    ['data', 'cifar10:/data/cifar'],
    ['data', 'idx:fashion'],
  ])('accepts %s %s', (key, value) => {
    const { graph } = graphWith('epochs 1');
    const r = resolveSettings(graph, [[key, value]]);
    expect(r.errors).toEqual([]);
    expect(r.settings.data).toBe(value);
  });

  it('turns bad flags into messages that name the flag', () => {
    const { graph } = graphWith('epochs 1');
    const r = resolveSettings(graph, [
      ['rotation', 400],
      ['zoom_min', 2],
    ]);
    expect(r.errors).toEqual([
      '--rotation must be in 0..180; found 400',
      '--zoom_min 2 is above --zoom_max 1',
    ]);
  });
});
