// Where the flow view draws its boxes, in SVG user units.

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FlowLayout {
  width: number;
  height: number;
  app: Box;
  hooky: Box;
  receivers: Box[];
}

/** Receivers drawn at most; more are summarised in a note. */
export const MAX_RECEIVERS = 10;
const WIDTH = 900;
const ROW = 84;
const RECEIVER_H = 68;
const PAD = 20;

export function flowLayout(receiverCount: number): FlowLayout {
  const n = Math.min(receiverCount, MAX_RECEIVERS);
  const stack = n * ROW - (ROW - RECEIVER_H);
  const height = Math.max(260, stack + PAD * 2);
  const mid = height / 2;
  // Centred, so one or two receivers sit level with Hooky.
  const top = (height - stack) / 2;
  const receivers = Array.from({ length: n }, (_, i) => ({
    x: 640,
    y: top + i * ROW,
    w: 240,
    h: RECEIVER_H,
  }));
  return {
    width: WIDTH,
    height,
    app: { x: 20, y: mid - 36, w: 150, h: 72 },
    hooky: { x: 330, y: mid - 44, w: 150, h: 88 },
    receivers,
  };
}

/** The middle of a box's left or right edge. */
export function edge(box: Box, side: 'left' | 'right'): { x: number; y: number } {
  return { x: side === 'left' ? box.x : box.x + box.w, y: box.y + box.h / 2 };
}
