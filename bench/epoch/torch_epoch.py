"""PyTorch peer of bench/epoch: one training epoch of a torchvision ResNet
over the pets sample with data loading and augmentation included, as fastai
would run it on the CPU: presize (random square crop, resize), then random
resized crop (scale 0.75-1), flip, rotation, lighting, normalisation; batch
64, 2 loader workers, 2 compute threads, Adam. Prints one JSON line."""
import json
import os
import random
import re
import resource
import sys
import time

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

torch.set_num_threads(2)
torch.manual_seed(0)
random.seed(0)


class Pets(torch.utils.data.Dataset):
    def __init__(self, files, vocab, tfm):
        self.files, self.vocab, self.tfm = files, vocab, tfm

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        f = self.files[i]
        label = re.match(r"(.+)_\d+\.jpg$", os.path.basename(f)).group(1)
        img = Image.open(f).convert("RGB")
        return self.tfm(img), self.vocab.index(label)


def main():
    images, arch, size, presize = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    files = sorted(os.path.join(images, f) for f in os.listdir(images) if f.endswith(".jpg"))
    random.shuffle(files)
    train = files[int(0.2 * len(files)):]
    vocab = sorted({re.match(r"(.+)_\d+\.jpg$", os.path.basename(f)).group(1) for f in train})
    train = [f for f in train if re.match(r"(.+)_\d+\.jpg$", os.path.basename(f)).group(1) in vocab]
    tfm = T.Compose([
        T.Resize(presize),  # short side to presize, then a random square: fastai's Resize(presize)
        T.RandomCrop(presize),
        T.RandomResizedCrop(size, scale=(0.75, 1.0), ratio=(1.0, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomRotation(10),
        T.ColorJitter(brightness=0.2, contrast=0.2),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    dl = torch.utils.data.DataLoader(Pets(train, vocab, tfm), batch_size=64, shuffle=True,
                                     drop_last=True, num_workers=2)
    model = getattr(torchvision.models, arch)(num_classes=len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    n = 0
    start = time.perf_counter()
    for x, y in dl:
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
        n += len(y)
    elapsed = time.perf_counter() - start
    print(json.dumps({"arch": arch, "size": size, "images": n, "seconds": round(elapsed, 2),
                      "img_per_s": round(n / elapsed, 2),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
