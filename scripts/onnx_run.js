// Runs an ONNX model with ONNX Runtime (npm's onnxruntime-node) on a batch
// of uint8 images, for fastgo's ONNX export tests:
//
//     NODE_PATH=build/onnxruntime/node_modules node scripts/onnx_run.js MODEL.onnx IMAGES.bin N H W
//
// IMAGES.bin holds N×H×W×3 bytes (NHWC RGB). Prints one JSON object: the
// model's outputs by name, each {"dims": [...], "data": [...]}.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
	const [model, images, n, h, w] = process.argv.slice(2);
	const dims = [Number(n), Number(h), Number(w), 3];
	const data = new Uint8Array(fs.readFileSync(images));
	if (data.length !== dims.reduce((a, b) => a * b)) {
		throw new Error(`${images}: ${data.length} bytes, not ${dims.join('×')}`);
	}
	const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
	const feeds = { [session.inputNames[0]]: new ort.Tensor('uint8', data, dims) };
	const results = await session.run(feeds);
	const out = {};
	for (const name of session.outputNames) {
		out[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
	}
	process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
	console.error(err.message || err);
	process.exit(1);
});
