// The command line's help texts: what `inceptionism --help` and `inceptionism <command> --help`
// print. The flags themselves, and their checks, are in ./args.ts.

import { DREAM_DEFAULTS } from "../dream/dream.js";
import { VISUALIZE_DEFAULTS } from "../dream/visualize.js";
import { DEFAULT_MAX_PIXELS } from "../io/image/image.js";
import type { Command } from "./args.js";

export const MAIN_HELP = `Usage: inceptionism <command> [options]

DeepDream with the BVLC GoogLeNet, in plain TypeScript.

Commands:
  dream IN -o OUT       dream a picture (PNG or JPEG in, PNG or JPEG out)
  zoom IN -o DIR        the infinite-zoom loop: dream, zoom in, repeat; numbered PNG frames
                        (or -o FILE.mp4, .webm, .gif for the video itself)
  video IN -o OUT       dream a video clip, frame to frame coherent (needs FFmpeg)
  classify IMAGE        the ImageNet classes the net sees in a picture
  layers                the net's layers and their output shapes
  visualize -o OUT      grow a picture from noise: what the net sees as a class or a feature

Run "inceptionism <command> --help" for a command's options, "inceptionism --version" for the version.`;

const DREAM_OPTIONS = `Dream options:
  -o, --output FILE     where to write the result (.png, .jpg or .jpeg)
  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --layer NAME[:W]      layer to amplify; repeat for several, each with an optional weight
                        (default ${DREAM_DEFAULTS.layer}, or the model's deepest feature
                        map where it has none; see "inceptionism layers")
  --octaves N           number of scales (default ${DREAM_DEFAULTS.octaves})
  --octave-scale F      size ratio between scales, > 1 (default ${DREAM_DEFAULTS.octaveScale})
  --iterations N        gradient steps per scale (default ${DREAM_DEFAULTS.iterations})
  --step F              step size (default ${DREAM_DEFAULTS.stepSize})
  --jitter N            largest random shift in pixels (default ${DREAM_DEFAULTS.jitter})
  --scale LO:HI         each step, zoom the picture by a random factor in LO–HI, e.g.
                        0.95:1.05 (default: none)
  --rotate DEG          each step, turn the picture by a random angle within ±DEG degrees,
                        0–180 (default: none)
  --seed N              random seed; the same seed gives the same picture (default ${DREAM_DEFAULTS.seed})
  --channels LIST       amplify only these channels of the layer, e.g. 3,17,101; or
                        strongest:N / weakest:N, the N with the largest / smallest mean
                        activation on this picture (which ones is printed as a note)
  --guide IMG           dream toward what the net sees in this picture
  --mask IMG            dream only where this grey-scale picture is light (its luminance;
                        black: untouched, edges feathered by 4 px); resized to the picture
                        if its size differs
  --original-colors     keep the picture's colours: only the dream's luminance is kept
  --class LABEL[,…]     dream toward ImageNet classes instead of a layer: an index (954), a
                        synset id (n07753592) or a word of a class name (banana, tabby); uses
                        the model's classifier (loss3/classifier), so not with --layer
  --objective KIND      what to maximize: l2 (default, the original ½·Σa²), mean or sum (Σa)
  --laplacian N         normalize the gradient's Laplacian pyramid of N levels, 1–8 (the
                        TensorFlow notebook's, which uses 4): larger, smoother forms
  --smooth SIGMA        blur the gradient by pytorch-deepdream's three Gaussians, σ growing
                        from SIGMA px (at most 20) over each scale's steps (it uses 0.5)
  --tv W                subtract W·½Σ(dx² + dy²), the squared total variation, from the
                        objective: a smoother picture (e.g. 1 at the default layer)
  --pixel-l2 W          subtract W·½Σ(pixel − 127.5)² from the objective: colours kept nearer
                        mid-grey (e.g. 0.1; not --objective l2, which is the layer's ½·Σa²)
  --max-size N          first scale the picture so its longer side is at most N pixels
  --max-pixels N        refuse pictures larger than N pixels (default ${DEFAULT_MAX_PIXELS})
  --tile N              compute gradients in tiles of at most N×N pixels (bounds memory;
                        by default the whole picture, or the largest tiles that fit the budget)
  --max-memory MB       the memory budget: a dream estimated to need more is tiled, or refused
                        before starting if no tile fits (default: half the machine's memory,
                        at most 16384)
  --threads N           threads to compute with (default: one per core; the result is the same)
  --quality N           JPEG quality 1–100 (default 92)
  --quiet               no progress bar`;

export const HELP: Record<Command, string> = {
  dream: `Usage: inceptionism dream IN -o OUT [options]

Dreams the picture IN as the original DeepDream notebook did and writes OUT.

${DREAM_OPTIONS}
  -h, --help            show this help`,
  zoom: `Usage: inceptionism zoom IN -o DIR|FILE.mp4 --frames N [--zoom F] [--resume] [dream options]

The notebook's infinite zoom: dream the picture, zoom in about its centre, dream again, …
Writes DIR/frame-0000.png, frame-0001.png, … (DIR is created if missing; if it already holds
frames, pass --resume to continue from the last one, or remove them to start over). With an
output ending in .mp4, .webm or .gif it writes that video (through FFmpeg), keeping the frames
in FILE.frames/ until it is written.

  --frames N            number of frames in all (required)
  --zoom F              zoom factor per frame, > 1 (default 1.05)
  --fps F               frames a second of a video output (default 24)
  --resume              continue after the frames already in DIR (or FILE.frames/)
${DREAM_OPTIONS.replace("Dream options:\n", "").replace(/^ {2}-o, --output FILE.*\n/m, "")}
  -h, --help            show this help`,
  video: `Usage: inceptionism video IN -o OUT [--blend F] [--no-flow] [--frames N] [--start T]
                         [--fps F] [--iterations-after N] [--resume] [dream options]

Dreams the clip IN frame by frame, each frame starting from the previous frame's dream detail
moved along the optical flow between them, so the dream moves with the picture instead of
flickering. OUT is a video (.mp4 H.264, .webm VP9, or .gif; audio is carried over into .mp4 and
.webm) or a directory of numbered PNG frames. Decoding and encoding use FFmpeg's ffmpeg and
ffprobe (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg).
Finished frames are kept in OUT.frames/ (or in the directory OUT) until the video is written:
after Ctrl-C, run the same command with --resume to continue.

  --blend F             how much of the previous frame's detail each frame starts with,
                        0–1 (default 0.5; 0 dreams every frame on its own)
  --no-flow             carry the detail over in place, without optical flow (a still camera)
  --iterations-after N  gradient steps per scale for the frames after the first (default: as
                        --iterations; a few keep the detail from piling up frame after frame)
  --frames N            dream at most N frames
  --start T             start T into the clip: seconds (12.5) or [h:]m:s (1:02.5)
  --fps F               take F frames a second from the clip (default: its own rate)
  --resume              continue after the frames already dreamed (same options only)
${DREAM_OPTIONS.replace("Dream options:\n", "")
  .replace(/^ {2}-o, --output FILE.*\n/m, "")
  .replace(/^ {2}--quality N.*\n/m, "")}
  -h, --help            show this help`,
  classify: `Usage: inceptionism classify IMAGE [--model FILE] [--top K] [--json]

Resizes the whole picture to the net's input size (224×224 for GoogLeNet; no crop) and prints
the K most probable ImageNet classes.

  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --top K               how many classes (default 5)
  --json                print {"top":[{"index":…,"label":…,"probability":…},…]}
  -h, --help            show this help`,
  layers: `Usage: inceptionism layers [--model FILE] [--size WxH] [--json]

Lists the net's layers in order with the shape of each output for an input of the given size.
Any of these names can be dreamed on with --layer.

  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --size WxH            input size (default 224x224)
  --json                print JSON
  -h, --help            show this help`,
  visualize: `Usage: inceptionism visualize (--class LABEL | --layer NAME [--channels LIST]) -o OUT [options]

Grows a picture from noise until the net sees the class in it, or until it excites the layer's
features (feature visualization, as in Lucid): a decorrelated Fourier-space picture, random
shifts, zooms and turns each step, and Adam.

  -o, --output FILE     where to write the picture (.png, .jpg or .jpeg)
  --class LABEL[,…]     an ImageNet class: an index (954), a synset id (n07753592) or a word
                        of a class name (banana); its logit at the model's classifier
  --layer NAME          a layer to visualize instead (see "inceptionism layers"): ½·Σa² of it
  --channels LIST       with --layer: the mean of these channels only, e.g. 97 or 3,17
  --size N              the picture's side in pixels (default ${VISUALIZE_DEFAULTS.size})
  --steps N             optimization steps (default ${VISUALIZE_DEFAULTS.steps})
  --seed N              random seed; the same seed gives the same picture (default ${VISUALIZE_DEFAULTS.seed})
  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --threads N           threads to compute with (default: one per core; the picture is the same)
  --max-memory MB       refuse a size estimated to need more memory than this
  --quality N           JPEG quality 1–100 (default 92)
  --quiet               no progress bar
  -h, --help            show this help`,
};
