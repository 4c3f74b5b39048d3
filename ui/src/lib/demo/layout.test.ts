import { describe, expect, it } from 'vitest';
import { MAX_RECEIVERS, edge, flowLayout } from './layout';

describe('flowLayout', () => {
  it('stacks receivers without overlap, inside the drawing, and centres the app and Hooky', () => {
    const layout = flowLayout(4);
    expect(layout.receivers).toHaveLength(4);
    for (let i = 1; i < 4; i++) {
      const [above, below] = [layout.receivers[i - 1]!, layout.receivers[i]!];
      expect(below.y).toBeGreaterThanOrEqual(above.y + above.h);
    }
    const last = layout.receivers[3]!;
    expect(last.y + last.h).toBeLessThanOrEqual(layout.height);
    expect(edge(layout.app, 'right').y).toBe(layout.height / 2);
    expect(edge(layout.hooky, 'left').y).toBe(layout.height / 2);
  });

  it('draws at most MAX_RECEIVERS and keeps a minimum height with none', () => {
    expect(flowLayout(50).receivers).toHaveLength(MAX_RECEIVERS);
    expect(flowLayout(0).height).toBeGreaterThan(200);
    const one = flowLayout(1);
    expect(edge(one.receivers[0]!, 'left').y).toBe(one.height / 2);
  });
});
