// The layers the page offers, grouped as the README's layer guide groups them: the deeper the
// layer, the more complex what it has learnt to see, and so what it paints into a picture.
// Each name is a GoogLeNet blob that `dream()` accepts as `layer` (`inceptionism layers` lists
// them all); these are the outputs of whole stages, the ones worth dreaming on.

export interface LayerGroup {
  label: string;
  layers: readonly string[];
}

export const LAYER_GROUPS: readonly LayerGroup[] = [
  { label: "Low: edges and colours, strokes and textures", layers: ["conv1/7x7_s2", "conv2/3x3_reduce", "conv2/3x3"] },
  { label: "Middle: simple shapes, eyes, spirals and scales", layers: ["inception_3a/output", "inception_3b/output"] },
  {
    label: "High: objects and parts of animals",
    layers: ["inception_4a/output", "inception_4b/output", "inception_4c/output", "inception_4d/output", "inception_4e/output"],
  },
  { label: "Highest: whole objects (larger pictures)", layers: ["inception_5a/output", "inception_5b/output"] },
];
