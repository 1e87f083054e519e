"""torchvision's DataLoader doing fastgo's item pipeline: PIL open, RGB,
random square crop of the short side, resize to 460 (PIL bilinear, as
fastai's Resize), to a uint8 CHW tensor, default collate into [64,3,460,460],
2 workers, shuffle, drop_last. Reports images/s of the last epoch."""
import argparse
import os
import random
import re
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import functional as F


class Pets(Dataset):
    def __init__(self, folder, size):
        self.files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))
        labels = sorted({re.match(r"(.+)_\d+.jpg$", os.path.basename(f)).group(1) for f in self.files})
        self.vocab = {l: i for i, l in enumerate(labels)}
        self.size = size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        path = self.files[i]
        img = Image.open(path).convert("RGB")
        w, h = img.size
        s = min(w, h)
        x, y = random.randint(0, w - s), random.randint(0, h - s)
        img = img.crop((x, y, x + s, y + s)).resize((self.size, self.size), Image.BILINEAR)
        label = self.vocab[re.match(r"(.+)_\d+.jpg$", os.path.basename(path)).group(1)]
        return F.pil_to_tensor(img), label


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", default="../shared/data/oxford-iiit-pet-sample/images")
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--size", type=int, default=460)
    p.add_argument("--epochs", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(1)
    dl = DataLoader(Pets(a.images, a.size), batch_size=a.bs, shuffle=True, drop_last=True,
                    num_workers=a.workers, persistent_workers=a.workers > 0)
    for epoch in range(a.epochs):
        n = batches = 0
        start = time.perf_counter()
        for x, y in dl:
            n += x.shape[0]
            batches += 1
        secs = time.perf_counter() - start
        print(f"torchvision epoch {epoch}: {n} images in {batches} batches in {secs:.2f} s = {n / secs:.1f} images/s "
              f"(torch {torch.__version__}, PIL {Image.__version__})", flush=True)
    print(f"RESULT torchvision {n / secs:.1f}")


if __name__ == "__main__":
    main()
