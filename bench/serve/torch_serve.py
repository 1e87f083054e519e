"""PyTorch peer of `fastgo serve` for make bench-serve: a minimal HTTP server
(http.server.ThreadingHTTPServer, one thread per connection, HTTP/1.1
keep-alive) on 127.0.0.1 serving the model that bench/serve/model exported,
from the weights it wrote for PyTorch (torch.json + torch.bin in MODELDIR).

  POST /predict  raw image bytes -> {"predictions":[{"class":..,"prob":..},..],
                                     "model":..,"batch":1,"ms":..}
  GET  /healthz  -> ok

The model is a torchvision ResNet's body with fastai's head, as fastai's
learn.model (nn.Sequential(body, head)), loaded from fastai's state-dict
keys, in eval mode, compiled with torch.jit.optimize_for_inference (frozen
TorchScript with oneDNN convolutions; --eager keeps the eager module: with
Debian's torch, an eager batch of one takes ~20x longer than the optimized
module, ~150 ms for ResNet18 at 128 px, where a batch of two takes ~17 ms),
run under torch.inference_mode. Each request is prepared as
fastai's validation pipeline does — PIL decode (EXIF orientation applied, as
fastgo's decoder does), Resize(presize): the largest centred square resized
with Pillow's BILINEAR, then the batch transform's validation resize to
SIZE (bilinear, align_corners), /255, ImageNet normalisation — in its
connection's thread, then runs in its own forward pass, one pass at a time
on all cores (torch.set_num_threads(cores)): no batching, as a minimal
server would. Prints
"torch: serving MODELDIR (resnet18, 37 classes) on http://127.0.0.1:PORT"
once listening.

  python3 bench/serve/torch_serve.py MODELDIR [PORT] [--eager]
"""
import io
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
import torch.nn.functional as F
import torchvision
from PIL import Image, ImageOps

TOPK = 5
# One forward pass at a time, each on every core: concurrent ones would
# oversubscribe the cores (each asks OpenMP for all of them).
FORWARD = threading.Lock()


class AdaptiveConcatPool2d(torch.nn.Module):
    """fastai's AdaptiveConcatPool2d(1): max, then average."""

    def forward(self, x):
        return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1)


def fastai_model(arch, n_classes):
    """nn.Sequential(body, head) with fastai's create_head defaults."""
    resnet = getattr(torchvision.models, arch)()
    body = torch.nn.Sequential(*list(resnet.children())[:-2])
    nf = 2 * resnet.fc.in_features
    head = torch.nn.Sequential(
        AdaptiveConcatPool2d(), torch.nn.Flatten(),
        torch.nn.BatchNorm1d(nf), torch.nn.Dropout(0.25), torch.nn.Linear(nf, 512, bias=False), torch.nn.ReLU(inplace=True),
        torch.nn.BatchNorm1d(512), torch.nn.Dropout(0.5), torch.nn.Linear(512, n_classes, bias=False))
    return torch.nn.Sequential(body, head)


def load(model_dir):
    with open(os.path.join(model_dir, "torch.json")) as f:
        index = json.load(f)
    with open(os.path.join(model_dir, "torch.bin"), "rb") as f:
        flat = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    if flat.numel() != index["count"]:
        sys.exit(f"torch_serve: torch.bin has {flat.numel()} values, torch.json says {index['count']}")
    state = {t["key"]: flat[t["offset"]:t["offset"] + torch.Size(t["shape"]).numel()].reshape(t["shape"]).clone()
             for t in index["tensors"]}
    model = fastai_model(index["arch"], len(index["vocab"]))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"torch_serve: the weights do not fit {index['arch']}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.eval()
    return model, index


def transforms(inputs):
    """(presize, size, mean, std) from the export's transform specs."""
    item = {t["Name"]: t["Params"] for t in inputs["ItemTfms"]}
    batch = {t["Name"]: t["Params"] for t in inputs["BatchTfms"]}
    resize = item["Resize"]
    if resize.get("method", [0])[0] != 0:
        sys.exit("torch_serve: only Resize's Crop method is implemented")
    presize = int(resize["size"][0])
    size = int(batch["AugTransforms"]["size"][0]) if "AugTransforms" in batch else presize
    norm = batch["Normalize"]
    return presize, size, torch.tensor(norm["mean"]).view(1, 3, 1, 1), torch.tensor(norm["std"]).view(1, 3, 1, 1)


class Predictor:
    def __init__(self, model_dir, eager=False):
        self.model, index = load(model_dir)
        self.how = "eager"
        if not eager:
            self.model = torch.jit.optimize_for_inference(torch.jit.script(self.model))
            self.how = "TorchScript, optimize_for_inference"
        self.arch, self.vocab = index["arch"], index["vocab"]
        self.presize, self.size, self.mean, self.std = transforms(index["inputs"])

    def prepare(self, data):
        im = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        w, h = im.size
        s = self.presize
        m = min(w / s, h / s)  # fastai's Resize(presize), valid: the centred square
        cw, ch = int(m * s), int(m * s)
        left, top = int(0.5 * (w - cw)), int(0.5 * (h - ch))
        im = im.crop((left, top, left + cw, top + ch)).resize((s, s), Image.BILINEAR)
        x = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(1, s, s, 3).permute(0, 3, 1, 2).float() / 255
        if self.size != s:  # RandomResizedCropGPU on valid: the centre square, resized
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=True)
        return (x - self.mean) / self.std

    def predict(self, data):
        x = self.prepare(data)
        with FORWARD, torch.inference_mode():
            probs = torch.softmax(self.model(x), dim=1)[0]
        top = torch.topk(probs, min(TOPK, len(self.vocab)))
        return [{"class": self.vocab[i], "prob": float(p)} for p, i in zip(top.values.tolist(), top.indices.tolist())]


def handler(pred):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Go's server

        def reply(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/healthz":
                self.reply(200, b"ok\n", "text/plain")
            else:
                self.reply(404, b"not found\n", "text/plain")

        def do_POST(self):
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/predict":
                self.reply(404, b"not found\n", "text/plain")
                return
            start = time.perf_counter()
            try:
                preds = pred.predict(data)
            except Exception as e:  # not an image
                self.reply(400, json.dumps({"error": str(e)}).encode())
                return
            ms = (time.perf_counter() - start) * 1000
            self.reply(200, json.dumps({"predictions": preds, "model": pred.arch, "batch": 1, "ms": round(ms, 2)}).encode())

        def log_message(self, *args):
            pass

    return Handler


def main():
    args = [a for a in sys.argv[1:] if a != "--eager"]
    model_dir = args[0]
    port = int(args[1]) if len(args) > 1 else 0
    torch.set_num_threads(os.cpu_count())
    pred = Predictor(model_dir, eager="--eager" in sys.argv)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(pred))
    server.daemon_threads = True
    print(f"torch: serving {model_dir} ({pred.arch}, {len(pred.vocab)} classes, {pred.how}) "
          f"on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
