/**
 * The geometric promises of a diagram layout, as a list of violations (empty when it keeps them):
 * no two boxes overlap; every box lies inside its cluster and outside every cluster that is not
 * around it; every cluster lies inside its parent, and sibling clusters do not overlap; a cluster's
 * label does not run into a box; everything lies inside the picture.
 */
import type { Layout } from '../../compiler/diagram/types.js';

interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Layout labels use 11px text at 6.6px a character, its baseline 13px below the cluster's top. */
const LABEL_BAND = 16;
const LABEL_CHAR_W = 6.6;
const EPS = 0.01;

const rectOf = (r: { x: number; y: number; width: number; height: number }): Rect => ({
  left: r.x - r.width / 2,
  top: r.y - r.height / 2,
  right: r.x + r.width / 2,
  bottom: r.y + r.height / 2,
});

const overlap = (a: Rect, b: Rect) =>
  a.left < b.right - EPS &&
  b.left < a.right - EPS &&
  a.top < b.bottom - EPS &&
  b.top < a.bottom - EPS;

const inside = (a: Rect, b: Rect) =>
  a.left >= b.left - EPS &&
  a.right <= b.right + EPS &&
  a.top >= b.top - EPS &&
  a.bottom <= b.bottom + EPS;

export function layoutViolations(layout: Layout): string[] {
  const out: string[] = [];
  const clusters = new Map(layout.clusters.map((c) => [c.path, { c, r: rectOf(c) }]));
  const around = (path: string) => {
    const set = new Set<string>();
    for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '')
      set.add(p);
    return set;
  };
  const page: Rect = { left: 0, top: 0, right: layout.width, bottom: layout.height };
  const boxes = layout.boxes.map((b) => ({ b, r: rectOf(b) }));
  for (const { b, r } of boxes) {
    if (!(b.width > 0 && b.height > 0)) out.push(`box ${b.key} has no size`);
    if (!inside(r, page)) out.push(`box ${b.key} leaves the picture`);
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (overlap(boxes[i].r, boxes[j].r))
        out.push(`boxes ${boxes[i].b.key} and ${boxes[j].b.key} overlap`);
  for (const { b, r } of boxes) {
    const mine = around(b.cluster);
    for (const { c, r: cr } of clusters.values()) {
      if (mine.has(c.path)) {
        if (!inside(r, cr)) out.push(`box ${b.key} leaves its cluster ${c.path}`);
      } else if (overlap(r, cr)) out.push(`box ${b.key} overlaps cluster ${c.path}, not its own`);
    }
    if (b.cluster !== '' && !clusters.has(b.cluster))
      out.push(`box ${b.key} is in ${b.cluster}, which is not drawn`);
  }
  const list = [...clusters.values()];
  for (const { c, r } of list) {
    if (!inside(r, page)) out.push(`cluster ${c.path} leaves the picture`);
    if (c.parent !== '') {
      const parent = clusters.get(c.parent);
      if (!parent) out.push(`cluster ${c.path} has no parent ${c.parent}`);
      else if (!inside(r, parent.r)) out.push(`cluster ${c.path} leaves its parent ${c.parent}`);
    }
    const band: Rect = {
      left: r.left,
      top: r.top,
      right: r.left + 6 + c.label.length * LABEL_CHAR_W,
      bottom: r.top + LABEL_BAND,
    };
    if (band.right > r.right + EPS) out.push(`cluster ${c.path}'s label is wider than it`);
    for (const { b, r: br } of boxes)
      if (overlap(band, br)) out.push(`cluster ${c.path}'s label runs into box ${b.key}`);
  }
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i], list[j]];
      if (a.c.parent === b.c.parent && overlap(a.r, b.r))
        out.push(`sibling clusters ${a.c.path} and ${b.c.path} overlap`);
    }
  return out;
}
