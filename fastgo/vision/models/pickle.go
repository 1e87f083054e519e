package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// loadZipCheckpoint unpickles the data.pkl of a torch.save zip checkpoint
// with gopickle, reading storages from the archive's data/ records. Unlike
// gopickle's own loader it refuses, before allocating anything, lengths and
// storage sizes larger than the file holds, so a corrupt or hostile file
// gives an error rather than exhausting memory.
func loadZipCheckpoint(file string) (any, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated zip checkpoint: %w", err)
	}
	defer zr.Close()
	records := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		records[path.Base(f.Name)] = f
	}
	if _, ok := records["constants.pkl"]; ok {
		return nil, errors.New("a TorchScript archive, not a state dict: save one with torch.save(model.state_dict(), path)")
	}
	pkl, ok := records["data.pkl"]
	if !ok {
		return nil, errors.New("no data.pkl in the zip: not a torch.save checkpoint")
	}
	data, err := readRecord(pkl)
	if err != nil {
		return nil, err
	}
	if err := checkPickleLengths(data); err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = torchClass
	u.PersistentLoad = func(id any) (any, error) { return loadStorage(id, records) }
	return u.Load()
}

// maxRecord bounds a record read into memory (torchvision's ResNet50 is 98 MiB).
const maxRecord = 4 << 30

func readRecord(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxRecord {
		return nil, fmt.Errorf("record %s is %d bytes, more than fastgo reads", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)))
}

// storageElemSize maps the storage classes a state dict uses to their element size.
var storageElemSize = map[string]struct {
	class pytorch.StorageClassInterface
	size  int
}{
	"FloatStorage":    {&pytorch.FloatStorageClass{}, 4},
	"HalfStorage":     {&pytorch.HalfStorageClass{}, 2},
	"BFloat16Storage": {&pytorch.BFloat16StorageClass{}, 2},
	"DoubleStorage":   {&pytorch.DoubleStorageClass{}, 8},
	"LongStorage":     {&pytorch.LongStorageClass{}, 8},
	"IntStorage":      {&pytorch.IntStorageClass{}, 4},
	"ShortStorage":    {&pytorch.ShortStorageClass{}, 2},
	"CharStorage":     {&pytorch.CharStorageClass{}, 1},
	"ByteStorage":     {&pytorch.ByteStorageClass{}, 1},
	"BoolStorage":     {&pytorch.BoolStorageClass{}, 1},
}

// storageClass is a storage type named in the pickle, with its element size.
type storageClass struct {
	pytorch.StorageClassInterface
	elemSize int
}

func torchClass(module, name string) (any, error) {
	switch {
	case module == "torch._utils" && name == "_rebuild_tensor_v2":
		return &pytorch.RebuildTensorV2{}, nil
	case module == "torch":
		if s, ok := storageElemSize[name]; ok {
			return storageClass{s.class, s.size}, nil
		}
	}
	return nil, fmt.Errorf("unsupported class %s.%s in a state dict", module, name)
}

// loadStorage resolves a persistent id ("storage", class, record, location, numel).
func loadStorage(id any, records map[string]*zip.File) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() < 5 {
		return nil, fmt.Errorf("unexpected persistent id %v", id)
	}
	kind, _ := t.Get(0).(string)
	class, okClass := t.Get(1).(storageClass)
	key, okKey := t.Get(2).(string)
	location, _ := t.Get(3).(string)
	numel, okSize := t.Get(4).(int)
	if kind != "storage" || !okClass || !okKey || !okSize || numel < 0 {
		return nil, fmt.Errorf("unexpected persistent id %v", id)
	}
	rec, ok := records[key]
	if !ok {
		return nil, fmt.Errorf("storage record data/%s is missing", key)
	}
	if uint64(numel)*uint64(class.elemSize) > rec.UncompressedSize64 {
		return nil, fmt.Errorf("storage data/%s claims %d elements but holds %d bytes", key, numel, rec.UncompressedSize64)
	}
	rc, err := rec.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s := class.New(numel, location)
	if err := s.SetFromFileWithSize(rc, numel); err != nil {
		return nil, fmt.Errorf("storage data/%s: %w", key, err)
	}
	return s, nil
}

// checkPickleLengths walks the opcodes of a pickle without executing it and
// checks that every argument, in particular every length-prefixed string or
// byte run, lies within the data.
func checkPickleLengths(p []byte) error {
	fixed := map[byte]int{
		'J': 4, 'K': 1, 'M': 2, 'h': 1, 'j': 4, 'q': 1, 'r': 4, 'G': 8,
		0x80: 1, 0x82: 1, 0x83: 2, 0x84: 4, 0x95: 8,
	}
	prefixed := map[byte]int{ // opcode → size of its little-endian length
		'U': 1, 'T': 4, 'X': 4, 0x8c: 1, 0x8d: 8, 'B': 4, 'C': 1, 0x8e: 8, 0x96: 8, 0x8a: 1, 0x8b: 4,
	}
	lines := map[byte]int{'I': 1, 'L': 1, 'S': 1, 'V': 1, 'F': 1, 'P': 1, 'g': 1, 'p': 1, 'c': 2, 'i': 2}
	const noArg = "(.012NabdelortsuR)}]Q\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98"
	for i := 0; i < len(p); {
		op := p[i]
		i++
		if n, ok := fixed[op]; ok {
			i += n
		} else if n, ok := prefixed[op]; ok {
			if i+n > len(p) {
				return fmt.Errorf("truncated at byte %d", i)
			}
			var l uint64
			switch n {
			case 1:
				l = uint64(p[i])
			case 4:
				l = uint64(binary.LittleEndian.Uint32(p[i:]))
			case 8:
				l = binary.LittleEndian.Uint64(p[i:])
			}
			if l > uint64(len(p)-i-n) {
				return fmt.Errorf("opcode 0x%02x at byte %d claims %d bytes, past the end", op, i-1, l)
			}
			i += n + int(l)
		} else if n, ok := lines[op]; ok {
			for ; n > 0; n-- {
				j := bytes.IndexByte(p[i:], '\n')
				if j < 0 {
					return fmt.Errorf("unterminated argument at byte %d", i)
				}
				i += j + 1
			}
		} else if bytes.IndexByte([]byte(noArg), op) < 0 {
			return fmt.Errorf("unknown opcode 0x%02x at byte %d", op, i-1)
		}
		if op == '.' {
			return nil
		}
	}
	return errors.New("no STOP opcode")
}
