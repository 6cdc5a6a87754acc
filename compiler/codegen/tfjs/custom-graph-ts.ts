/** Custom layers of graph merges that tfjs-layers lacks: Highway (t·h + (1 − t)·x). */

/** Highway: inputs [x, h, t], out = x + t·(h − x); t may be [C] or [1, 1, C] (broadcast). */
export const HIGHWAY = String.raw`/**
 * A highway merge: inputs [x, h, t], out = t·h + (1 − t)·x, computed as x + t·(h − x). A gate of
 * lower rank ([C]) is broadcast along the spatial axes.
 */
export class Highway extends tf.layers.Layer {
  static readonly className = 'Highway';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, h, gate] = inputs as tf.Tensor[];
      let t = gate;
      while (t.rank < x.rank) t = tf.expandDims(t, 1);
      return tf.add(x, tf.mul(t, tf.sub(h, x)));
    });
  }
}
tf.serialization.registerClass(Highway);
`;
