/**
 * The SVG diagram: golden files for LeNet-5 and the Inception module, deterministic output, the
 * frozen mark and the edge kinds, and a rendering to pixels through sharp (librsvg).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { defaultCollapsed } from '../../compiler/diagram/expand.js';
import { engine, renderSvg } from '../../compiler/diagram/render.js';
import { expectBaseline } from '../helpers/baseline.js';
import { diagramModelOf } from './models.js';

describe('golden SVGs', () => {
  it.each([
    ['examples/lenet5.cnn', 'diagram/lenet5.svg'],
    ['examples/inception-module.cnn', 'diagram/inception-module.svg'],
  ])('%s', (file, baseline) => {
    const model = diagramModelOf(file);
    const svg = renderSvg(model, defaultCollapsed(engine, model));
    expectBaseline(baseline, svg);
    // The same input gives the same bytes.
    expect(renderSvg(diagramModelOf(file), defaultCollapsed(engine, model))).toBe(svg);
  });
});

describe('what the SVG shows', () => {
  it('one box per layer with its op, kernel, stride and output shape', () => {
    const svg = renderSvg(diagramModelOf('examples/lenet5.cnn'), []);
    expect(svg.match(/<g class="box layer/g)).toHaveLength(14);
    expect(svg).toContain('>conv 6 5x5<');
    expect(svg).toContain('>avgpool 2x2 /2<');
    expect(svg).toContain('>28x28x6<');
  });

  it('residual edges into an add and branch edges into a concat', () => {
    const res = renderSvg(diagramModelOf('stdlib/resnet.cnn', 'ResNet18'), []);
    expect(res.match(/class="edge residual"/g)?.length).toBe(16);
    const inc = renderSvg(diagramModelOf('examples/inception-module.cnn'), []);
    expect(inc.match(/class="edge concat"/g)?.length).toBe(8);
  });

  it('frozen layers are marked', () => {
    const model = diagramModelOf('examples/transfer/pretrained-frozen.cnn');
    const svg = renderSvg(model, []);
    const frozen = model.layers.filter((l) => l.frozen).length;
    expect(frozen).toBeGreaterThan(0);
    expect(svg.match(/<g class="box layer frozen"/g)).toHaveLength(frozen);
    expect(svg).toContain('(frozen)');
  });

  it('scopes are clusters; a collapsed scope is one box', () => {
    const model = diagramModelOf('examples/inception-module.cnn');
    const open = renderSvg(model, []);
    expect(open).toContain('data-scope="inc3a.branch2"');
    expect(open).toContain('inc3a · inception(64, 96, 128, 16, 32, 32)');
    const shut = renderSvg(model, ['inc3a']);
    expect(shut).not.toContain('data-scope="inc3a.branch2"');
    expect(shut).toContain('<g class="box scope" data-key="s:inc3a" data-scope="inc3a">');
    expect(shut).toContain('>14 layers<');
  });
});

describe('rendering to pixels', () => {
  it('sharp renders the LeNet-5 SVG to a PNG with drawn boxes and text', async () => {
    const svg = renderSvg(diagramModelOf('examples/lenet5.cnn'), []);
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const meta = await sharp(png).metadata();
    const { data, info } = await sharp(png)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(meta.format).toBe('png');
    expect(info.width).toBe(Math.round(Number(/width="([\d.]+)"/.exec(svg)![1])));
    let dark = 0;
    let tinted = 0;
    for (let i = 0; i < data.length; i += 3) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r < 80 && g < 80 && b < 80) dark++;
      else if (r !== 255 || g !== 255 || b !== 255) tinted++;
    }
    const pixels = info.width * info.height;
    // Text and arrows are dark; box fills are tinted; most of the page stays white.
    expect(dark / pixels).toBeGreaterThan(0.01);
    expect(tinted / pixels).toBeGreaterThan(0.05);
    expect((dark + tinted) / pixels).toBeLessThan(0.6);
  });
});
