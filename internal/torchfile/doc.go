// Package torchfile reads files written by PyTorch's torch.save — state
// dicts, fastai's learn.save and learn.export files — as plain data, never
// running anything the file names.
//
// A torch.save file is a Python pickle plus the raw bytes of its tensors'
// storages, in one of two layouts:
//
//   - zip (torch ≥ 1.6): FOLDER/data.pkl, FOLDER/data/<key> per storage,
//     FOLDER/version and, from torch 2.1, FOLDER/byteorder. FOLDER is
//     "archive" (torch ≥ 2, and earlier versions writing to a buffer) or
//     the file's name without its extension (torch 1.6–1.13 writing to a
//     path; renaming the file later leaves it as it was).
//   - legacy (torch < 1.6, or _use_new_zipfile_serialization=False): a magic
//     number, a protocol version and a system-information pickle, the
//     object's pickle, a pickle listing the storage keys, then each storage
//     as an int64 element count followed by its bytes.
//
// The pickle is unpickled by github.com/nlpodyssey/gopickle with every
// class and function it references turned into inert data: a [Global]
// names it, and what the pickle would build with it becomes an [*Object]
// holding the class, the arguments and the state (usually the instance's
// __dict__) — nothing is called. Only what is needed to read tensors and
// the bytes numpy scalars carry is interpreted: torch's _rebuild_tensor_v2
// and _rebuild_parameter(_with_state), fastai's _rebuild_from_type, the
// storage classes (torch.FloatStorage…) and _codecs.encode. Containers are
// gopickle's: *types.Dict, *types.OrderedDict, *types.List, *types.Tuple;
// numbers are int, *big.Int, float64; strings are string, bytes []byte. A
// pickle that calls a function running code (os.system, subprocess, eval…)
// is refused with a [*CodeCallError] naming the call: it is an attack or a
// broken file, never a model.
//
// Every length in the file is checked against the file before anything is
// allocated for it, and malformed pickles give errors, not panics: files
// from the internet are read safely (FuzzLoad). In the zip layout every
// record's CRC-32 is checked (as Python's zipfile.testzip, which torch.load
// skips), so a damaged byte is an error naming the record, not weights that
// load and predict differently; the legacy layout has no checksum.
package torchfile
